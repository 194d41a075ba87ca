// The part of d3-flame-graph's API the report page uses (the package ships no types).
declare module 'd3-flame-graph' {
  export interface FlameNode {
    name: string;
    value: number;
    delta?: number;
    children?: FlameNode[];
  }
  /** A laid-out frame: d3-hierarchy's node with d3-flame-graph's fields. */
  export interface Frame {
    data: FlameNode;
    value: number;
    depth: number;
    x0: number;
    x1: number;
    parent: Frame | null;
    delta?: number;
  }
  export interface FlameGraph {
    (selection: unknown): void;
    width(w: number): FlameGraph;
    cellHeight(h: number): FlameGraph;
    minFrameSize(px: number): FlameGraph;
    inverted(b: boolean): FlameGraph;
    sort(b: boolean | ((a: Frame, b: Frame) => number)): FlameGraph;
    transitionDuration(ms: number): FlameGraph;
    title(t: string): FlameGraph;
    selfValue(b: boolean): FlameGraph;
    setColorMapper(f: (d: Frame, original: string) => string): FlameGraph;
    setLabelHandler(f: (d: Frame) => string): FlameGraph;
    setSearchHandler(f: (results: Frame[], sum: number, total: number) => void): FlameGraph;
    setSearchMatch(f: (d: Frame, term: string) => boolean): FlameGraph;
    setDetailsElement(e: HTMLElement | null): FlameGraph;
    setDetailsHandler(f: (d: Frame | null) => void): FlameGraph;
    onClick(f: (d: Frame) => void): FlameGraph;
    onHover(f: (d: Frame) => void): FlameGraph;
    search(term: string): void;
    clear(): void;
    resetZoom(): void;
    update(data?: FlameNode): void;
    destroy(): void;
  }
  export default function flamegraph(): FlameGraph;
  export const colorMapper: {
    differentialColorMapper(d: Frame, original: string): string;
  };
}
