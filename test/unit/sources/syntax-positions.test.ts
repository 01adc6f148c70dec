// Syntax errors point at the mistake: YAML at the line where it is (an unclosed bracket or quote at
// its opening, not where the parser noticed), JSON at line and column.
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/registry/diagnostics.js';
import { convertRegistryText } from '../../../src/sources/registry-documents.js';

const diagnosticsOf = (file: string, text: string) => convertRegistryText(file, text).diagnostics.map(formatDiagnostic);

describe('YAML syntax errors are reported at the line of the mistake', () => {
  it.each([
    ['a flow mapping left open on line 3', 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.1\n  db: { clusterIP: 10.96.0.2 }\n',
      ['z.yaml:3:8: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }']],
    ['a flow sequence left open at the end of the file', 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.1, ports: [http:80\n',
      ['z.yaml:3:39: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
        'z.yaml:3:8: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }']],
    ['a quote left open on line 1', 'namespace: "shop\nservices: {}\n',
      ['z.yaml:1:12: invalid YAML: Missing closing "quote']],
    ['a duplicate key (reported at the second one)', 'namespace: shop\nservices:\n  web: {clusterIP: 10.96.0.1}\n  web: {clusterIP: 10.96.0.2}\n',
      ['z.yaml:4:3: invalid YAML: Map keys must be unique']],
    ['a duplicate key inside a flow mapping', 'namespace: shop\nservices:\n  web: {clusterIP: 10.96.0.1, clusterIP: 10.96.0.2}\n',
      ['z.yaml:3:31: invalid YAML: Map keys must be unique']],
    ['a line indented under a scalar', 'namespace: shop\n  services: {}\n',
      ['z.yaml:2:3: invalid YAML: Implicit keys need to be on a single line']],
    ['a tab as indentation', 'namespace: shop\nservices:\n\tweb: {clusterIP: 10.96.0.1}\n',
      ['z.yaml:3:1: invalid YAML: Tabs are not allowed as indentation']],
    ['an alias to no anchor', 'namespace: shop\nservices:\n  web: *nope\n',
      ['z.yaml:3:8: invalid YAML: Unresolved alias (the anchor must be set before the alias): nope']],
    ['a mistake in the third document', 'namespace: a\n---\nnamespace: b\n---\nnamespace: c\nservices: [\n',
      ['z.yaml:6:11: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']],
  ])('%s', (_, text, expected) => {
    expect(diagnosticsOf('z.yaml', text)).toEqual(expected);
  });

  it('counts lines from the start of the file inside a large kubectl List parsed item by item', () => {
    const item = (i: number) => `- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s${i}\n    namespace: shop\n  spec:\n    clusterIP: 10.96.${i >> 8}.${i & 255}\n`;
    const items = Array.from({ length: 3000 }, (_, i) => item(i));
    items[2000] = item(2000).replace('clusterIP: 10.96', 'clusterIP: [10.96');
    const text = `apiVersion: v1\nitems:\n${items.join('')}kind: List\nmetadata:\n  resourceVersion: ""\n`;
    expect(text.length).toBeGreaterThan(256 * 1024);
    const line = 3 + 2000 * 7 + 6;
    expect(diagnosticsOf('big.yaml', text)).toEqual([`big.yaml:${line}:16: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`]);
  });
});

describe('JSON syntax errors are reported at line and column', () => {
  it.each([
    ['two commas', '{\n  "namespace": "shop",\n  "services": {\n    "web": { "clusterIP": "10.96.0.1" },,\n  }\n}\n', "z.json:4:41: invalid JSON: unexpected ',' (expected a double-quoted property name)"],
    ['a missing brace at the end (just past the last character)', '{\n  "namespace": "shop"\n\n', "z.json:2:22: invalid JSON: unexpected end of input (expected ',' or '}')"],
    ['a bare word', '{"namespace": shop}', "z.json:1:15: invalid JSON: unexpected 's' (expected a value)"],
    ['a string broken by a newline', '{\n  "namespace": "sh\nop"\n}', 'z.json:2:16: invalid JSON: unterminated string (a newline inside quotes)'],
  ])('%s', (_, text, expected) => {
    expect(diagnosticsOf('z.json', text)).toEqual([expected]);
  });

  it('gives field errors in a JSON List the line of the field, found without parsing the whole file as YAML', () => {
    const text = [
      '{"apiVersion": "v1", "kind": "List", "items": [',
      '  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "shop"}, "spec": {"clusterIP": "10.96.0.1"}},',
      '  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b", "namespace": "shop"},',
      '   "spec": {"clusterIP": "10.96.0.300"}}',
      ']}',
    ].join('\n');
    const { input, diagnostics } = convertRegistryText('l.json', text);
    expect(diagnostics.map(formatDiagnostic)).toEqual(['l.json:4: spec.clusterIP: "10.96.0.300" is not an IP address']);
    expect(input.services.map((s) => [s.name, s.origin])).toEqual([['a', { file: 'l.json', line: 2 }]]);
  });
});
