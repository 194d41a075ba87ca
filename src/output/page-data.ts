/**
 * The data an HTML report carries (src/output/html.ts writes it as JSON into the page; web/report.ts
 * reads it): one declaration for both sides. Types only: the page's bundle imports nothing from here.
 */
import type { CellValue } from '../model/table.js';

/** The page's data: the document's tables as column arrays, the call tree cut for drawing. */
export interface PageData {
  format_version: 1;
  kind: string;
  title: string;
  summary: object;
  lines: readonly string[];
  sections: readonly { title?: string; table?: string }[];
  tables: PageTable[];
  flame: FlameData | null;
}

export interface PageTable {
  name: string;
  doc: string;
  columns: { key: string; kind: string; doc: string }[];
  rows: CellValue[][];
}

/** Kept call-tree nodes, parents before children; parent indexes into these arrays (-1: a root frame). */
export interface FlameData {
  /** What the widths are: the call tree's `total_ns`, `total_insns` or events, or B's for a diff. */
  weight: string;
  names: string[];
  parent: number[];
  name: number[];
  value: number[];
  /** Diff only: B minus A per node (inclusive), in the weight. */
  delta?: number[];
  /** Nodes in the whole tree and kept. */
  nodes: number;
  kept: number;
  /** The weight of the root (all frames). */
  total: number;
}
