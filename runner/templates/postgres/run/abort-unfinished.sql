{{!-- holding the run lock, no other run is alive: one still 'running' was killed or lost its database --}}
update meta.runs set status = 'aborted', message = coalesce(message,
  'the command ended without finishing: killed, or its connection to the database was lost')
where status = 'running'
