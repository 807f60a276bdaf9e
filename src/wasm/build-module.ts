import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A compiled module of build/, or why there is none. */
export type BuiltModule = { module: WebAssembly.Module; reason: null } | { module: null; reason: string };

const cache = new Map<string, BuiltModule>();

/** build/<file> of this package, from src/wasm/ (tsx, tests) or dist/src/wasm/ (tsc output). */
function buildPath(file: string): string | null {
  for (const relative of [`../../build/${file}`, `../../../build/${file}`]) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  return null;
}

/**
 * build/<file> (made by `npm run build:wasm`, which `npm ci` runs through "prepare"), compiled
 * once per process; when it is missing or does not load, the reason, for an error message.
 */
export function builtModule(file: string): BuiltModule {
  const known = cache.get(file);
  if (known !== undefined) return known;
  let built: BuiltModule;
  const path = buildPath(file);
  if (path === null) {
    built = { module: null, reason: `build/${file} is missing (run \`npm run build:wasm\`)` };
  } else {
    try {
      built = { module: new WebAssembly.Module(readFileSync(path)), reason: null };
    } catch (error) {
      built = { module: null, reason: `build/${file} does not load here: ${(error as Error).message}` };
    }
  }
  cache.set(file, built);
  return built;
}
