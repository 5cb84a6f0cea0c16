// Bundles each card of crm_cards/ for the sandbox's record page: `npm run build:preview` in the cards folder.
// The card code is bundled unchanged; only `@hubspot/ui-extensions` is mapped to the preview host (host.jsx).
// Output: dist/<card uid>.js (not committed), one IIFE per card, read by sandbox/hubspot/api/preview.py.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const cardsDir = path.join(root, 'crm_cards/src/app/cards');
const projectSrc = path.join(root, 'crm_cards/src');
// esbuild, React and react-dom are the cards' own npm packages: resolve them from the cards folder.
const esbuild = createRequire(path.join(cardsDir, 'package.json'))('esbuild');

const cards = fs
  .readdirSync(cardsDir)
  .filter((name) => name.endsWith('-hsmeta.json'))
  .map((name) => JSON.parse(fs.readFileSync(path.join(cardsDir, name), 'utf8')));

await Promise.all(
  cards.map((card) =>
    esbuild.build({
      entryPoints: [path.join(projectSrc, card.config.entrypoint)],
      outfile: path.join(here, 'dist', `${card.uid}.js`),
      bundle: true,
      format: 'iife',
      target: 'es2020',
      loader: { '.js': 'jsx' },
      alias: { '@hubspot/ui-extensions': path.join(here, 'host.jsx') },
      nodePaths: [path.join(cardsDir, 'node_modules')],
      define: { 'process.env.NODE_ENV': '"production"' },
      minify: true,
      logLevel: 'warning',
    })
  )
);
console.log(`card preview: ${cards.map((card) => card.uid).join(', ')} -> ${path.join(here, 'dist')}`);
