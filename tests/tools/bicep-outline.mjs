// Parses Bicep files with the tree-sitter grammar (the Bicep compiler cannot be installed here) and prints,
// per file, the syntax errors and an outline of the top-level declarations as JSON, for the infra tests.
// Usage: node bicep-outline.mjs <file.bicep>...
import { Parser, Language } from 'web-tree-sitter';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
await Parser.init();
const grammar = join(dirname(require.resolve('tree-sitter-bicep/package.json')), 'tree-sitter-bicep.wasm');
const parser = new Parser();
parser.setLanguage(await Language.load(grammar));

const outline = process.argv.slice(2).map(file => {
  const tree = parser.parse(readFileSync(file, 'utf8'));
  const errors = [];
  const visit = node => {
    if (node.type === 'ERROR' || node.isMissing) {
      errors.push(`${file}:${node.startPosition.row + 1}:${node.startPosition.column + 1}: ${node.isMissing ? 'missing ' : ''}${node.type} near '${node.text.slice(0, 40)}'`);
    }
    node.children.forEach(visit);
  };
  visit(tree.rootNode);
  const declarations = tree.rootNode.namedChildren.filter(n => n.type.endsWith('_declaration')).map(n => ({
    kind: n.type.replace('_declaration', ''),
    name: n.namedChildren.find(c => c.type === 'identifier')?.text ?? null,
    type: n.type === 'resource_declaration' ? n.namedChildren.find(c => c.type === 'string')?.text.replace(/'/g, '') ?? null : null,
    text: n.text,
  }));
  return { file, errors, declarations };
});
console.log(JSON.stringify(outline));
