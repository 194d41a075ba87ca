/**
 * The command being run, for messages that suggest a command line (`xz -dc T | bootprof self-time -`).
 * The CLI sets it before a command's action runs; library callers see the placeholder.
 */
export const invocation = { command: 'COMMAND' };
