/**
 * Name ids shared by every analysis. Ids below FIRST_FUNCTION are region labels; the rest index the
 * function names of the loaded symbol table (same-named static functions share one id, as flame
 * graphs merge them).
 */
export const REGION_FIRMWARE = 0;
export const REGION_BOOT = 1;
export const REGION_USER = 2;
export const REGION_UNKNOWN = 3;
/** A kernel-half pc when no symbols are loaded. */
export const REGION_KERNEL = 4;
export const FIRST_FUNCTION = 5;

export const REGION_LABELS: readonly string[] = ['[firmware]', '[boot]', '[user]', '[unknown]', '[kernel]'];

export function isRegion(id: number): boolean {
  return id < FIRST_FUNCTION;
}
