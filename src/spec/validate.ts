import { FIELDS, FIELD_NAMES, isFieldName, REQUIRED_FIELDS, type FieldName } from './fields.js';

export type FieldValue = number | string | null;

/** A zip group: objects that each set several fields together, with an optional label. */
export interface ZipGroup {
  name: string;
  members: { label: string; fields: Partial<Record<FieldName, FieldValue>> }[];
}

export interface SaveOptions {
  params: boolean;
  init_params: boolean;
  data: boolean;
}

/** A spec after validation, defaults filled; everything expansion needs. */
export interface Spec {
  name: string;
  description: string;
  /** Fields with one value, defaults included for every field not set by the grid. */
  fixed: Partial<Record<FieldName, FieldValue>>;
  /** Plain grid axes (field -> values), in the order the spec gives them. */
  axes: { field: FieldName; values: FieldValue[] }[];
  zipGroups: ZipGroup[];
  /** `seeds: N` (data_seed = init_seed = s for s < N) or the product of `{data, init}`. */
  seeds: { count: number | null; data: number[]; init: number[] };
  save: SaveOptions;
}

/** A refusal of the spec: where (a dotted path), what was given and what is allowed. */
export class SpecError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'SpecError';
  }
}

const TOP_LEVEL_KEYS = ['name', 'description', 'fixed', 'grid', 'seeds', 'save'];
const SAVE_KEYS = ['params', 'init_params', 'data'] as const;

function show(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkField(field: FieldName, value: unknown, path: string, problems: string[]): value is FieldValue {
  const definition = FIELDS[field];
  if (!definition.schema.safeParse(value).success) {
    problems.push(`${path}: got ${show(value)}; allowed: ${definition.allowed}`);
    return false;
  }
  return true;
}

function checkSeedList(value: unknown, path: string, problems: string[]): number[] {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${path}: got ${show(value)}; allowed: a non-empty array of integers >= 0`);
    return [];
  }
  const seeds: number[] = [];
  value.forEach((seed, i) => {
    if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1) {
      problems.push(`${path}[${i}]: got ${show(seed)}; allowed: an integer >= 0`);
    } else seeds.push(seed);
  });
  if (new Set(seeds).size !== seeds.length) problems.push(`${path}: got ${show(value)}; allowed: seeds without repeats`);
  return seeds;
}

/**
 * Validates a parsed spec (DESIGN.md, Spec and Decisions). Every problem found is reported at
 * once, each naming its path, the value given and what is allowed; throws SpecError.
 */
export function validateSpec(raw: unknown): Spec {
  const problems: string[] = [];
  if (!isPlainObject(raw)) throw new SpecError([`spec: got ${show(raw)}; allowed: a JSON object with keys ${TOP_LEVEL_KEYS.join(', ')}`]);
  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL_KEYS.includes(key)) problems.push(`${key}: unknown key; allowed keys: ${TOP_LEVEL_KEYS.join(', ')}`);
  }

  const name = raw.name;
  if (typeof name !== 'string' || name.trim() === '') problems.push(`name: got ${show(name)}; allowed: a non-empty string`);
  const description = raw.description ?? '';
  if (typeof description !== 'string') problems.push(`description: got ${show(description)}; allowed: a string`);

  const fixed: Partial<Record<FieldName, FieldValue>> = {};
  const rawFixed = raw.fixed ?? {};
  if (!isPlainObject(rawFixed)) problems.push(`fixed: got ${show(rawFixed)}; allowed: an object of field: value`);
  else {
    for (const [key, value] of Object.entries(rawFixed)) {
      if (!isFieldName(key)) problems.push(`fixed.${key}: unknown field; allowed fields: ${FIELD_NAMES.join(', ')}`);
      else if (checkField(key, value, `fixed.${key}`, problems)) fixed[key] = value;
    }
  }

  const axes: Spec['axes'] = [];
  const zipGroups: ZipGroup[] = [];
  const setByGrid = new Map<FieldName, string>();
  const claim = (field: FieldName, where: string) => {
    const earlier = setByGrid.get(field) ?? (field in fixed ? 'fixed' : undefined);
    if (earlier) problems.push(`${where}: field "${field}" is already set in ${earlier}; set each field in one place`);
    else setByGrid.set(field, where);
  };
  const rawGrid = raw.grid ?? {};
  if (!isPlainObject(rawGrid)) problems.push(`grid: got ${show(rawGrid)}; allowed: an object of field: [values] or group: [objects]`);
  else {
    for (const [key, values] of Object.entries(rawGrid)) {
      const path = `grid.${key}`;
      if (!Array.isArray(values) || values.length === 0) {
        problems.push(`${path}: got ${show(values)}; allowed: a non-empty array`);
        continue;
      }
      const isZip = values.every(isPlainObject);
      if (isFieldName(key) && !isZip) {
        claim(key, path);
        const good = values.filter((value, i) => checkField(key, value, `${path}[${i}]`, problems)) as FieldValue[];
        if (new Set(good.map((v) => JSON.stringify(v))).size !== good.length) problems.push(`${path}: got ${show(values)}; allowed: values without repeats`);
        axes.push({ field: key, values: good });
      } else if (isZip) {
        if (isFieldName(key)) {
          problems.push(`${path}: a zip group may not be named after a field; rename it (e.g. "${key}_arm")`);
          continue;
        }
        zipGroups.push(parseZipGroup(key, values as Record<string, unknown>[], claim, problems));
      } else {
        problems.push(`${path}: unknown field; a grid key is a field (${FIELD_NAMES.join(', ')}) with an array of values, or a zip group name with an array of objects`);
      }
    }
  }

  const seeds = parseSeeds(raw.seeds, problems);
  const save = parseSave(raw.save, problems);

  // Fill defaults for fields set nowhere, then check required fields.
  for (const field of FIELD_NAMES) {
    const definition = FIELDS[field] as { default?: FieldValue };
    if (!(field in fixed) && !setByGrid.has(field) && definition.default !== undefined) fixed[field] = definition.default;
  }
  for (const field of REQUIRED_FIELDS) {
    if (!(field in fixed) && !setByGrid.has(field)) problems.push(`fixed.${field}: missing; allowed: ${FIELDS[field].allowed} (required)`);
  }
  const hasWidth = 'width' in fixed || setByGrid.has('width');
  const hasPerN = 'width_per_n' in fixed || setByGrid.has('width_per_n');
  if (hasWidth === hasPerN) problems.push(`fixed.width: ${hasWidth ? 'both width and width_per_n are set' : 'missing'}; allowed: exactly one of width (${FIELDS.width.allowed}) or width_per_n (${FIELDS.width_per_n.allowed})`);

  if (problems.length > 0) throw new SpecError(problems);
  return { name: name as string, description: description as string, fixed, axes, zipGroups, seeds, save };
}

function parseZipGroup(
  name: string,
  members: Record<string, unknown>[],
  claim: (field: FieldName, where: string) => void,
  problems: string[],
): ZipGroup {
  const group: ZipGroup = { name, members: [] };
  const fieldsOfGroup = new Set<FieldName>();
  members.forEach((member) => {
    for (const key of Object.keys(member)) if (isFieldName(key)) fieldsOfGroup.add(key);
  });
  for (const field of fieldsOfGroup) claim(field, `grid.${name}`);
  const labels = new Set<string>();
  members.forEach((member, i) => {
    const path = `grid.${name}[${i}]`;
    const fields: Partial<Record<FieldName, FieldValue>> = {};
    let label: string | undefined;
    for (const [key, value] of Object.entries(member)) {
      if (key === 'label') {
        if (typeof value !== 'string' || value === '') problems.push(`${path}.label: got ${show(value)}; allowed: a non-empty string`);
        else label = value;
      } else if (!isFieldName(key)) problems.push(`${path}.${key}: unknown field; allowed: label or a field (${FIELD_NAMES.join(', ')})`);
      else if (checkField(key, value, `${path}.${key}`, problems)) fields[key] = value;
    }
    for (const field of fieldsOfGroup) {
      if (!(field in member)) problems.push(`${path}: missing field "${field}"; every object of a zip group sets the same fields`);
    }
    const finalLabel = label ?? canonicalJson(fields);
    if (labels.has(finalLabel)) problems.push(`${path}: label ${show(finalLabel)} repeats; allowed: distinct members`);
    labels.add(finalLabel);
    group.members.push({ label: finalLabel, fields });
  });
  return group;
}

function parseSeeds(raw: unknown, problems: string[]): Spec['seeds'] {
  if (raw === undefined) return { count: 1, data: [0], init: [0] };
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw) || raw < 1 || raw > 100000) {
      problems.push(`seeds: got ${show(raw)}; allowed: an integer from 1 to 100000, or {"data": [...], "init": [...]}`);
      return { count: null, data: [], init: [] };
    }
    const list = Array.from({ length: raw }, (_, s) => s);
    return { count: raw, data: list, init: list };
  }
  if (isPlainObject(raw)) {
    for (const key of Object.keys(raw)) {
      if (key !== 'data' && key !== 'init') problems.push(`seeds.${key}: unknown key; allowed keys: data, init`);
    }
    return { count: null, data: checkSeedList(raw.data, 'seeds.data', problems), init: checkSeedList(raw.init, 'seeds.init', problems) };
  }
  problems.push(`seeds: got ${show(raw)}; allowed: an integer >= 1, or {"data": [...], "init": [...]}`);
  return { count: null, data: [], init: [] };
}

function parseSave(raw: unknown, problems: string[]): SaveOptions {
  const save: SaveOptions = { params: false, init_params: false, data: false };
  if (raw === undefined) return save;
  if (!isPlainObject(raw)) {
    problems.push(`save: got ${show(raw)}; allowed: an object with booleans ${SAVE_KEYS.join(', ')}`);
    return save;
  }
  for (const [key, value] of Object.entries(raw)) {
    if (!(SAVE_KEYS as readonly string[]).includes(key)) problems.push(`save.${key}: unknown key; allowed keys: ${SAVE_KEYS.join(', ')}`);
    else if (typeof value !== 'boolean') problems.push(`save.${key}: got ${show(value)}; allowed: true or false`);
    else save[key as keyof SaveOptions] = value;
  }
  return save;
}

/** JSON with object keys sorted at every level: the canonical text that hashes are taken of. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
