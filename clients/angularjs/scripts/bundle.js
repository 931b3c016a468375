// Builds the prebuilt browser bundles: dist/jotauth-angularjs.js (readable) and
// dist/jotauth-angularjs.min.js — IIFEs with @jotauth/client inside, for a plain
// <script> after angular.js. They register the 'jotauth' module and expose window.jotauth.
// Run directly (npm run build) or imported by the tests' global setup.
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Build both bundles; resolves when they are written. */
export async function bundle() {
  for (const minify of [false, true]) {
    await build({
      entryPoints: [`${root}src/browser.ts`],
      outfile: `${root}dist/jotauth-angularjs${minify ? '.min' : ''}.js`,
      bundle: true,
      minify,
      sourcemap: true,
      format: 'iife',
      globalName: 'jotauth',
      target: 'es2020',
      conditions: ['source'],
      legalComments: 'none',
      logLevel: 'warning',
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await bundle();
  console.log('built dist/jotauth-angularjs.js and dist/jotauth-angularjs.min.js');
}
