/** A SymbolTable as plain typed arrays, to hand to worker threads (names stay on the main thread). */
import { SymbolTable } from './table.js';

export interface TableTransfer {
  addrs: Float64Array;
  fnAt: Int32Array;
  marks: Record<string, number>;
  textSymbols: number;
}

export function tableToTransfer(t: SymbolTable): TableTransfer {
  return { addrs: t.addrs, fnAt: t.fnAt, marks: { ...t.marks }, textSymbols: t.textSymbols };
}

export function tableFromTransfer(x: TableTransfer): SymbolTable {
  return new SymbolTable(x.addrs, x.fnAt, [], x.marks, x.textSymbols);
}
