import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderPolicyMatrixMarkdown } from './policy-matrix';

const DOCS = join(__dirname, '..', '..', '..', 'docs', 'policy.md');
const START = '<!-- matrix:start -->';
const END = '<!-- matrix:end -->';

/** The text between the markers, without the newline that follows the start marker and precedes the end. */
function embeddedMatrix(markdown: string): string {
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/policy.md must contain ${START} ... ${END}`);
  return markdown
    .slice(start + START.length, end)
    .replace(/^\n/, '')
    .replace(/\n$/, '');
}

describe('docs/policy.md', () => {
  it('embeds exactly the matrix the policy evaluates (replace the block with the expected text if not)', () => {
    const markdown = readFileSync(DOCS, 'utf8');
    expect(markdown.split(START)).toHaveLength(2);
    expect(embeddedMatrix(markdown)).toBe(renderPolicyMatrixMarkdown());
  });
});
