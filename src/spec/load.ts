import { readFileSync } from 'node:fs';
import { SpecError, validateSpec, type Spec } from './validate.js';

/** Reads and validates a spec file; unreadable files and malformed JSON are SpecErrors too. */
export function loadSpecFile(path: string): { spec: Spec; raw: unknown } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SpecError([`spec file ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SpecError([`spec file ${path}: not valid JSON (${(error as Error).message})`]);
  }
  return { spec: validateSpec(raw), raw };
}
