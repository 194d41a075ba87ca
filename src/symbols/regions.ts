/**
 * Address-region classification of pcs that are not kernel functions, and the physical-address
 * mapping of early startup code. Everything here is per-pc and stateless; the per-vCPU part ("has
 * this vCPU run a kernel virtual pc yet?") lives in symbolize.ts.
 */
import { REGION_BOOT, REGION_FIRMWARE } from '../model/names.js';

/** Legacy BIOS area 0xc0000-0xfffff and the top 256 KiB below 4 GiB (reset vector, flash). */
export function isFirmwarePc(hi: number, lo: number): boolean {
  return hi === 0 && ((lo >= 0xc0000 && lo <= 0xfffff) || lo >= 0xfffc0000);
}

/** Where x86-64 kernels are linked to run physically: CONFIG_PHYSICAL_START. */
export const PHYSICAL_START = 0x1000000;

/** Region of a low pc seen before its vCPU's first kernel virtual pc, when it maps to no function. */
export function earlyRegion(hi: number, lo: number): number {
  return isFirmwarePc(hi, lo) ? REGION_FIRMWARE : REGION_BOOT;
}
