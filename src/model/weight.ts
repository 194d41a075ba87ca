/**
 * What a profile weighs each event by: host time (the time until the vCPU's next event), guest
 * instructions (the instruction count of the event's translated block, from `-d in_asm` records), or
 * events (each translated block executed counts 1).
 */
export type Weight = 'time' | 'insns' | 'events';
export const WEIGHTS: readonly Weight[] = ['time', 'insns', 'events'];

/** The weight a run uses: the one asked for, else instructions when the trace has translation records, else time. */
export function defaultWeight(asked: Weight | undefined, hasInsns: boolean): Weight {
  return asked ?? (hasInsns ? 'insns' : 'time');
}
