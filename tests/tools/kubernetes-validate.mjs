// Validates Kubernetes manifests offline against the API's schemas (no cluster or registry is reachable here): each
// YAML document becomes the typed kubernetes-models object for its apiVersion and kind, whose validate() checks it.
// Prints, per document, the file, its index, kind, name, whether a model exists and the errors found, as JSON.
// Usage: node kubernetes-validate.mjs <file.yaml>...
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const require = createRequire(import.meta.url);
const models = dirname(require.resolve('kubernetes-models/package.json'));

const results = [];
for (const file of process.argv.slice(2)) {
  parseAllDocuments(readFileSync(file, 'utf8')).forEach((document, index) => {
    const result = { file, index, kind: null, name: null, model: false, errors: document.errors.map(e => e.message) };
    results.push(result);
    const data = document.toJS();
    if (data === null || result.errors.length > 0) {
      return;
    }

    result.kind = data.kind ?? null;
    result.name = data.metadata?.name ?? null;
    // Core kinds live under v1/, the others under their group: apps/v1/DaemonSet.
    const path = join(models, `${data.apiVersion}`, `${data.kind}.js`);
    if (typeof data.apiVersion !== 'string' || typeof data.kind !== 'string' || !existsSync(path)) {
      return;
    }

    result.model = true;
    const Model = require(path)[data.kind];
    try {
      new Model(data).validate();
    } catch (error) {
      result.errors.push(error.message);
    }
  });
}

console.log(JSON.stringify(results));
