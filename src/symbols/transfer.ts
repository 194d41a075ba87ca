/** A SymbolTable as plain typed arrays, to hand to worker threads (names stay on the main thread). */
import { SymbolTable } from './table.js';

export interface TableTransfer {
  addrs: Float64Array;
  fnAt: Int32Array;
  marks: Record<string, number>;
  textSymbols: number;
}

export function tableToTransfer(t: SymbolTable): TableTransfer {
  return { addrs: whole(t.addrs), fnAt: whole(t.fnAt), marks: { ...t.marks }, textSymbols: t.textSymbols };
}

/** An array that is all of its buffer: a view (of a cache file, cache.ts) is cloned with its whole buffer. */
function whole<T extends Float64Array | Int32Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}

export function tableFromTransfer(x: TableTransfer): SymbolTable {
  return new SymbolTable(x.addrs, x.fnAt, [], x.marks, x.textSymbols);
}
