import os from 'node:os';

/** Sources that load side by side, and the most parts one big file loads in (one per CPU, at most 4). */
export const ingestLanes = 2;
export const partsPerFile = () => Math.min(4, os.availableParallelism());
