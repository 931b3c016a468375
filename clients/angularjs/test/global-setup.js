// Vitest global setup (runs in Node before the jsdom tests): build the browser bundle, so
// test/browser-bundle.test.ts checks the very file a <script> tag would load.
import { bundle } from '../scripts/bundle.js';

export default async function setup() {
  await bundle();
}
