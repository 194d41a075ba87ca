/**
 * A symbol table from System.map text already in memory (tests, generated maps), through the same
 * parser and merge as the files `--map` loads (kallsyms.ts, sources.ts).
 */
import { parseSymbolText } from './kallsyms.js';
import { mergeSources } from './sources.js';
import type { SymbolTable } from './table.js';

export function systemMapFromText(text: string): SymbolTable {
  return mergeSources([parseSymbolText(text, 'System.map')]).table;
}
