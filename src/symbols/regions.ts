/**
 * Address-region classification of pcs that are not kernel functions, and the physical-address
 * mapping of early startup code. Everything here is per-pc and stateless; the per-vCPU part ("has
 * this vCPU run a kernel virtual pc yet?") lives in symbolize.ts.
 */
import { REGION_BOOT, REGION_FIRMWARE } from '../model/names.js';

/** Legacy BIOS area 0xc0000-0xfffff and the top 256 KiB below 4 GiB (reset vector, flash). */
export function isFirmwarePc(hi: number, lo: number): boolean {
  return hi === 0 && ((lo >= 0xc0000 && lo <= 0xfffff) || lo >= FIRMWARE_TOP);
}

/** The top 256 KiB below 4 GiB: firmware, also inside a 32-bit kernel's half. */
export const FIRMWARE_TOP = 0xfffc0000;

/** Granularity of a 32-bit kernel's user/kernel split (CONFIG_VMSPLIT_3G, _2G, _1G). */
const SPLIT = 0x40000000;

/**
 * The lowest kernel pc of a 32-bit kernel (i386: PAGE_OFFSET, 0xc0000000 with the usual 3G/1G
 * split), from where its map's text starts (`_text`, else `_stext`: 0xc1000000 -> 0xc0000000);
 * NaN for a 64-bit kernel's map, whose kernel half is 0xffff800000000000 and up.
 */
export function kernel32Base(marks: Readonly<Record<string, number>> | undefined): number {
  if (!marks) return NaN;
  const text = Number.isNaN(marks._text) ? marks._stext : marks._text;
  if (!(text >= SPLIT && text < FIRMWARE_TOP)) return NaN;
  return text - (text % SPLIT);
}

/** Where x86-64 kernels are linked to run physically: CONFIG_PHYSICAL_START. */
export const PHYSICAL_START = 0x1000000;

/** Region of a low pc seen before its vCPU's first kernel virtual pc, when it maps to no function. */
export function earlyRegion(hi: number, lo: number): number {
  return isFirmwarePc(hi, lo) ? REGION_FIRMWARE : REGION_BOOT;
}
