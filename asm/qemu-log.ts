// AssemblyScript: the fast path of the QEMU 'log' backend parser (src/formats/qemu-log.ts).
//
// It accepts exactly one strict line form and leaves everything else to the JavaScript parser:
//   TID@SEC.FRAC:exec_tb tb:0xHOST pc=0xPC\n      (also exec_tb_nocache)
// TID and SEC have 1-15 digits, FRAC 1-9, HOST 0-16 and PC 1-16 hex digits, and the newline follows the pc at
// once. Any other line stops the scan with stopReason = STOP_LINE at that line's start, so the JS
// parser decides what it is (CR LF, other events, malformed, ...). Results are therefore identical
// to the JS parser's: this file only makes the common case fast (bytes at ~1/cycle, no bounds checks
// per byte in JS).
//
// The caller guarantees the input block ends with a newline, so every scan stops inside it.

/** Why the last call stopped: 0 end of block or batch full, 1 a line the fast path does not take. */
let stopPos: usize = 0;
let stopReason: i32 = 0;

export function getStopPos(): usize {
  return stopPos;
}
export function getStopReason(): i32 {
  return stopReason;
}

// "exec_tb " and "_nocache " as little-endian words
const EXEC_TB_SP: u64 = 0x2062745f63657865; // "exec_tb "
const NOCACHE: u64 = 0x65686361636f6e5f; // "_nocache"

// @ts-ignore: decorator
@inline
function isDigit(c: u32): bool {
  return c - 48 < 10;
}

// ---- SWAR: eight ASCII characters in one little-endian word (the first character in the low byte) ----
// The fast paths below take a field in its usual width only when every byte checks out; otherwise the
// byte loop after them reads the field, so what is accepted and computed does not change.

const H8: u64 = 0x8080808080808080;
const L7: u64 = 0x7f7f7f7f7f7f7f7f;
const LO4: u64 = 0x0f0f0f0f0f0f0f0f;
const HI4: u64 = 0xf0f0f0f0f0f0f0f0;

/** Whether all eight bytes are ASCII digits. */
// @ts-ignore: decorator
@inline
function digits8(x: u64): bool {
  return (x & HI4) == 0x3030303030303030 && (((x & LO4) + 0x0606060606060606) & HI4) == 0;
}

/** The value of eight ASCII digits (checked by digits8). */
// @ts-ignore: decorator
@inline
function decimal8(x: u64): u64 {
  let v = x & LO4;
  v = (v * 10 + (v >> 8)) & 0x00ff00ff00ff00ff;
  v = (v * 100 + (v >> 16)) & 0x0000ffff0000ffff;
  return (v * 10000 + (v >> 32)) & 0xffffffff;
}

/** Whether all eight bytes are lower-case hex digits (0-9, a-f; upper case takes the byte loop). */
// @ts-ignore: decorator
@inline
function hex8ok(x: u64): bool {
  const hi = x & HI4;
  const lo = x & LO4;
  const not3 = (((hi ^ 0x3030303030303030) >> 1) + L7) & H8; // high bit set where the high nibble is not 3
  const not6 = (((hi ^ 0x6060606060606060) >> 1) + L7) & H8;
  const ge10 = (lo + 0x7676767676767676) & H8; // low nibble >= 10
  const ge7 = (lo + 0x7979797979797979) & H8;
  const ge1 = (lo + L7) & H8;
  return ((~not3 & ~ge10 & H8) | (~not6 & ~ge7 & ge1)) == H8;
}

/** The value of eight hex digits (checked by hex8ok), the first the most significant. */
// @ts-ignore: decorator
@inline
function hex8(x: u64): u64 {
  let v = (x & LO4) + ((x >> 6) & 0x0101010101010101) * 9;
  v = ((v << 4) | (v >> 8)) & 0x00ff00ff00ff00ff;
  v = ((v << 8) | (v >> 16)) & 0x0000ffff0000ffff;
  return ((v << 16) | (v >> 32)) & 0xffffffff;
}

/**
 * Parses lines of [p, end) into the output columns until the block ends, `cap` events are written,
 * or a line needs the JS parser. Time is ns relative to the origin (oSec whole seconds, oNs ns).
 * Returns the number of events written.
 */
export function parse(
  p: usize,
  end: usize,
  cap: i32,
  oSec: f64,
  oNs: f64,
  timeOut: usize,
  tidOut: usize,
  hiOut: usize,
  loOut: usize,
  tbHiOut: usize,
  tbLoOut: usize,
): i32 {
  let n: i32 = 0;
  stopReason = 0;
  while (p < end) {
    if (n >= cap) break;
    const line = p;
    // ---- TID@ ----
    let c: u32 = load<u8>(p);
    let tid: u64 = 0;
    let nd: i32 = 0;
    while (isDigit(c)) {
      tid = tid * 10 + u64(c - 48);
      nd++;
      p++;
      c = load<u8>(p);
    }
    if (c != 64 || nd == 0 || nd > 15) return reject(line, n);
    p++;
    // ---- SEC. ----
    let sec: u64 = 0;
    nd = 0;
    const s8 = load<u64>(p);
    if (digits8(s8) && isDigit(load<u8>(p, 8)) && isDigit(load<u8>(p, 9)) && load<u8>(p, 10) == 46) {
      // ten digits, the usual width of epoch seconds
      sec = decimal8(s8) * 100 + u64(load<u8>(p, 8) - 48) * 10 + u64(load<u8>(p, 9) - 48);
      nd = 10;
      p += 10;
    }
    c = load<u8>(p);
    while (isDigit(c)) {
      sec = sec * 10 + u64(c - 48);
      nd++;
      p++;
      c = load<u8>(p);
    }
    if (c != 46 || nd == 0 || nd > 15) return reject(line, n);
    p++;
    // ---- FRAC: ----
    let frac: u32 = 0;
    nd = 0;
    const f8 = load<u64>(p);
    const f6 = (f8 << 16) | 0x3030; // "00" then the first six bytes
    if (digits8(f6) && ((f8 >> 48) & 0xff) == 58) {
      // six digits (microseconds) then ':'
      frac = u32(decimal8(f6));
      nd = 6;
      p += 6;
    }
    c = load<u8>(p);
    while (isDigit(c)) {
      frac = frac * 10 + (c - 48);
      nd++;
      p++;
      c = load<u8>(p);
    }
    if (c != 58 || nd == 0 || nd > 9) return reject(line, n);
    p++;
    let scale: u32 = 1;
    for (let k = nd; k < 9; k++) scale *= 10;
    // ---- exec_tb / exec_tb_nocache ----
    const w = load<u64>(p);
    if (w == EXEC_TB_SP) {
      p += 8;
    } else if ((w & 0x00ffffffffffffff) == 0x0062745f63657865 && load<u64>(p, 7) == NOCACHE && load<u8>(p, 15) == 32) {
      p += 16;
    } else return reject(line, n);
    // ---- "tb:0x" + hex digits, one blank, then "pc=0x" (anything else: the JS parser decides) ----
    if (load<u32>(p) != 0x303a6274 || load<u8>(p, 4) != 120) return reject(line, n); // "tb:0" "x"
    p += 5;
    let tb: u64 = 0;
    nd = 0;
    const t8 = load<u64>(p);
    const t4 = (u64(load<u32>(p, 8)) << 32) | 0x30303030; // "0000" then bytes 8-11
    if (load<u8>(p, 12) == 32 && hex8ok(t8) && hex8ok(t4)) {
      // twelve digits, a host user-space pointer
      tb = (hex8(t8) << 16) | hex8(t4);
      nd = 12;
      p += 12;
    }
    c = load<u8>(p);
    while (c != 32) {
      let d: u32 = c - 48;
      if (d >= 10) {
        d = (c | 32) - 97;
        if (d >= 6) return reject(line, n);
        d += 10;
      }
      tb = (tb << 4) | u64(d);
      nd++;
      p++;
      c = load<u8>(p);
    }
    if (nd > 16) return reject(line, n);
    if (load<u32>(p, 1) != 0x303d6370 || load<u8>(p, 5) != 120) return reject(line, n); // "pc=0" "x"
    p += 6;
    // ---- PC ----
    let pc: u64 = 0;
    nd = 0;
    const a8 = load<u64>(p);
    const b8 = load<u64>(p, 8);
    if (load<u8>(p, 16) == 10 && hex8ok(a8) && hex8ok(b8)) {
      // sixteen digits, a kernel pc
      pc = (hex8(a8) << 32) | hex8(b8);
      nd = 16;
      p += 16;
    }
    c = load<u8>(p);
    while (true) {
      let d: u32 = c - 48;
      if (d >= 10) {
        d = (c | 32) - 97;
        if (d >= 6) break;
        d += 10;
      }
      pc = (pc << 4) | u64(d);
      nd++;
      p++;
      c = load<u8>(p);
    }
    if (c != 10 || nd == 0 || nd > 16) return reject(line, n);
    p++;
    // ---- the event ----
    const o = <usize>n;
    store<f64>(timeOut + (o << 3), (f64(sec) - oSec) * 1e9 + (f64(frac * scale) - oNs));
    store<f64>(tidOut + (o << 3), f64(tid));
    store<u32>(hiOut + (o << 2), u32(pc >> 32));
    store<u32>(loOut + (o << 2), u32(pc));
    store<u32>(tbHiOut + (o << 2), u32(tb >> 32));
    store<u32>(tbLoOut + (o << 2), u32(tb));
    n++;
  }
  stopPos = p;
  return n;
}

/** Stops at a line the fast path does not take, for the JS parser to decide. */
function reject(line: usize, n: i32): i32 {
  stopPos = line;
  stopReason = 1;
  return n;
}
