/**
 * The command a user runs to see the rows behind a warning or a summary: `npm run sql -- '<query>'`, the
 * query quoted for a POSIX shell (the embedded warehouse lives only as long as a command, so a bare
 * query would be of no use there).
 */
export function showRowsCommand(query: string): string {
  return `npm run sql -- '${query.replace(/\s+/g, ' ').trim().replace(/'/g, `'\\''`)}'`;
}
