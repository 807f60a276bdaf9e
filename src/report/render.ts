/**
 * Vega-Lite spec -> compiled Vega spec -> SVG (headless Vega view) -> PNG (resvg).
 *
 * Text must render on a fresh machine, so the PNG rasteriser is handed the DejaVu Sans files of
 * the dejavu-fonts-ttf npm package (installed with the project) and never looks for system fonts;
 * Vega's config names the same family so that the SVG asks for it too.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export const FONT_FAMILY = 'DejaVu Sans';

let fontFilesCache: string[] | null = null;

/** Paths of the DejaVu Sans regular and bold TTF files of the dejavu-fonts-ttf package. */
export function fontFiles(): string[] {
  if (fontFilesCache) return fontFilesCache;
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dejavu-fonts-ttf/package.json'));
  fontFilesCache = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) => join(packageDir, 'ttf', file));
  return fontFilesCache;
}

/** Shared look of every figure: the bundled font everywhere, white background. */
export const VEGA_CONFIG = {
  font: FONT_FAMILY,
  background: 'white',
  axis: { labelFont: FONT_FAMILY, titleFont: FONT_FAMILY },
  legend: { labelFont: FONT_FAMILY, titleFont: FONT_FAMILY, labelLimit: 400 },
  header: { labelFont: FONT_FAMILY, titleFont: FONT_FAMILY, labelLimit: 400 },
  title: { font: FONT_FAMILY },
  mark: { font: FONT_FAMILY },
} as const;

export interface RenderedFigure {
  /** The compiled Vega spec (what was drawn; tests read its data and encodings). */
  vegaSpec: vega.Spec;
  svg: string;
  png: Buffer;
}

/** Compiles a Vega-Lite spec with the shared config. */
export function compileFigure(spec: TopLevelSpec): vega.Spec {
  const withConfig = { ...spec, config: { ...VEGA_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  return compile(withConfig).spec as vega.Spec;
}

/** Renders a Vega-Lite spec to SVG text and a PNG at `scale` times the SVG's pixel size. */
export async function renderFigure(spec: TopLevelSpec, scale = 2): Promise<RenderedFigure> {
  const vegaSpec = compileFigure(spec);
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const resvg = new Resvg(svg, {
      font: { loadSystemFonts: false, fontFiles: fontFiles(), defaultFontFamily: FONT_FAMILY },
      fitTo: { mode: 'zoom', value: scale },
    });
    const png = resvg.render().asPng();
    return { vegaSpec, svg, png };
  } finally {
    view.finalize();
  }
}
