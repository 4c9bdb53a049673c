import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, html, joinHtml, px, SafeHtml } from '../../../src/html/html-text.js';

test('escapeHtml escapes the five characters that matter in elements and quoted attributes', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  assert.equal(escapeHtml('plain text, 100%'), 'plain text, 100%');
});

test('the html template escapes every interpolated value, keeps SafeHtml, joins lists and drops empty values', () => {
  const name = '<script>alert(1)</script>';
  const inner = html`<b>${name}</b>`;
  const built = html`<p title="${name}">${inner}${[1, '<i>', html`<i>ok</i>`]}${null}${undefined}${false}</p>`;
  assert.ok(built instanceof SafeHtml);
  assert.equal(
    built.text,
    '<p title="&lt;script&gt;alert(1)&lt;/script&gt;"><b>&lt;script&gt;alert(1)&lt;/script&gt;</b>1&lt;i&gt;<i>ok</i></p>',
  );
  assert.equal(String(joinHtml(['a&b', html`<br>`], ', ')), 'a&amp;b, <br>');
});

test('px rounds to a tenth of a pixel', () => {
  assert.equal(px(12.345), '12.3');
  assert.equal(px(-0.04), '0');
  assert.equal(px(7), '7');
});
