/** Walks a compiled Vega spec: its inline data sets, marks, scales and axis titles at any depth. */

type Node = Record<string, unknown>;

function children(node: Node): Node[] {
  return (node.marks as Node[] | undefined) ?? [];
}

export function vegaData(spec: unknown): { name: string; values: Record<string, unknown>[] }[] {
  const out: { name: string; values: Record<string, unknown>[] }[] = [];
  const visit = (node: Node) => {
    for (const data of (node.data as Node[] | undefined) ?? []) {
      if (Array.isArray(data.values)) out.push({ name: String(data.name), values: data.values as Record<string, unknown>[] });
    }
    children(node).forEach(visit);
  };
  visit(spec as Node);
  return out;
}

/** The one inline data set whose rows carry `field` (throws if none or several). */
export function dataWithField(spec: unknown, field: string): Record<string, unknown>[] {
  const matches = vegaData(spec).filter((d) => d.values.length > 0 && field in d.values[0]);
  if (matches.length !== 1) throw new Error(`expected one data set with field ${field}, found ${matches.length}`);
  return matches[0].values;
}

export interface MarkInfo {
  type: string;
  x: Node | undefined;
  y: Node | undefined;
  encode: Node;
}

export function vegaMarks(spec: unknown): MarkInfo[] {
  const out: MarkInfo[] = [];
  const visit = (node: Node) => {
    for (const mark of children(node)) {
      const update = ((mark.encode as Node | undefined)?.update as Node | undefined) ?? {};
      out.push({ type: String(mark.type), x: update.x as Node | undefined, y: update.y as Node | undefined, encode: update });
      visit(mark);
    }
  };
  visit(spec as Node);
  return out;
}

export function vegaScales(spec: unknown): Node[] {
  const out: Node[] = [];
  const visit = (node: Node) => {
    out.push(...((node.scales as Node[] | undefined) ?? []));
    children(node).forEach(visit);
  };
  visit(spec as Node);
  return out;
}

export function axisTitles(spec: unknown): string[] {
  const out: string[] = [];
  const visit = (node: Node) => {
    for (const axis of (node.axes as Node[] | undefined) ?? []) {
      if (typeof axis.title === 'string') out.push(axis.title);
    }
    children(node).forEach(visit);
  };
  visit(spec as Node);
  return out;
}

/** Marks of a type whose x and y encode the given fields. */
export function marksEncoding(spec: unknown, type: string, xField: string, yField: string): MarkInfo[] {
  return vegaMarks(spec).filter((m) => m.type === type && m.x?.field === xField && m.y?.field === yField);
}
