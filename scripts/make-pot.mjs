#!/usr/bin/env node
/**
 * Writes plugin/languages/layersync.pot: every translatable string of the plugin, from its PHP
 * (plugin/**\/*.php, build output excluded) and from the admin app's sources
 * (assets-src/admin/src/**\/*.ts(x)), for the text domain "layersync". There is no WP-CLI here,
 * so this does what `wp i18n make-pot` does for our code:
 *
 * - gettext calls: __, _e, _x, _ex, _n, _nx, _n_noop, _nx_noop, esc_html__, esc_html_e,
 *   esc_html_x, esc_attr__, esc_attr_e, esc_attr_x — with literal strings (adjacent literals
 *   joined with `.` or `+` count as one); calls for another text domain are skipped;
 * - `translators:` comments right before a call become extracted comments (#.);
 * - strings with printf placeholders are flagged php-format / javascript-format;
 * - the plugin header (Plugin Name, Plugin URI, Description, Author) is included, as WordPress
 *   translates it.
 *
 * References are relative to the plugin directory, as WordPress tools expect. JavaScript strings
 * are referenced as build/admin/index.js (the file WordPress loads, so `wp i18n make-json` names
 * the JSON files for wp_set_script_translations correctly) followed by their source lines.
 *
 *   node scripts/make-pot.mjs           write the file
 *   node scripts/make-pot.mjs --check   exit 1 when the committed file is out of date
 */
import { readFileSync, writeFileSync, readdirSync, statSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PLUGIN = join(ROOT, 'plugin');
const ADMIN_SRC = join(ROOT, 'assets-src', 'admin', 'src');
const OUT = join(PLUGIN, 'languages', 'layersync.pot');
const DOMAIN = 'layersync';
const ADMIN_BUNDLE = 'build/admin/index.js';

/** Function → positions of [singular, plural, context, domain] among its arguments (-1: none). */
const FUNCTIONS = {
  __: [0, -1, -1, 1],
  _e: [0, -1, -1, 1],
  esc_html__: [0, -1, -1, 1],
  esc_html_e: [0, -1, -1, 1],
  esc_attr__: [0, -1, -1, 1],
  esc_attr_e: [0, -1, -1, 1],
  _x: [0, -1, 1, 2],
  _ex: [0, -1, 1, 2],
  esc_html_x: [0, -1, 1, 2],
  esc_attr_x: [0, -1, 1, 2],
  _n: [0, 1, -1, 3],
  _n_noop: [0, 1, -1, 2],
  _nx: [0, 1, 3, 4],
  _nx_noop: [0, 1, 2, 3],
};

function walk(dir, accept, skip = () => false) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (skip(path)) continue;
    if (statSync(path).isDirectory()) out.push(...walk(path, accept, skip));
    else if (accept(path)) out.push(path);
  }
  return out;
}

/**
 * A small scanner for PHP and TypeScript: skips comments (remembering `translators:` ones),
 * reads string literals, and finds gettext calls with their literal arguments.
 */
function extract(source, lang) {
  const found = [];
  let i = 0;
  let line = 1;
  let translators = null; // { text, endLine }
  const n = source.length;
  const isIdStart = (c) => /[A-Za-z_$]/.test(c);
  const isId = (c) => /[A-Za-z0-9_$]/.test(c);

  // PHP files may start with inline HTML; ours open with <?php, so scan everything as code.
  const advance = (to) => {
    for (; i < to; i++) if (source[i] === '\n') line++;
  };

  /** Reads a comment at i (returns true if one was read). */
  const comment = () => {
    const c = source[i];
    const d = source[i + 1];
    let text = null;
    if (c === '/' && d === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      text = source.slice(i + 2, end < 0 ? n : end);
      advance(stop);
    } else if ((c === '/' && d === '/') || (lang === 'php' && c === '#' && d !== '[')) {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      text = source.slice(i + (c === '#' ? 1 : 2), stop);
      advance(stop);
    } else {
      return false;
    }
    const cleaned = text
      .split('\n')
      .map((l) => l.replace(/^\s*\*?\s?/, '').trim())
      .join(' ')
      .trim();
    const at = cleaned.search(/translators:/i);
    if (at >= 0) translators = { text: cleaned.slice(at).trim(), endLine: line };
    return true;
  };

  /** Reads a string literal at i; returns its value, or null if there is none. */
  const literal = () => {
    const q = source[i];
    if (q !== "'" && q !== '"' && !(lang === 'js' && q === '`')) return null;
    let value = '';
    let j = i + 1;
    for (; j < n; j++) {
      const c = source[j];
      if (c === q) break;
      if (q === '`' && c === '$' && source[j + 1] === '{') return skipString();
      if (c === '\\') {
        const e = source[++j];
        if (lang === 'php' && q === "'") value += e === "'" || e === '\\' ? e : `\\${e}`;
        else if (e === 'n') value += '\n';
        else if (e === 't') value += '\t';
        else if (e === 'r') value += '\r';
        else if (e === 'u' && lang === 'js' && source[j + 1] === '{') {
          const close = source.indexOf('}', j);
          value += String.fromCodePoint(parseInt(source.slice(j + 2, close), 16));
          j = close;
        } else if (e === 'u' && lang === 'js') {
          value += String.fromCharCode(parseInt(source.slice(j + 1, j + 5), 16));
          j += 4;
        } else if (e === 'x') {
          value += String.fromCharCode(parseInt(source.slice(j + 1, j + 3), 16));
          j += 2;
        } else if (e === '\n') {
          /* line continuation */
        } else value += e;
        continue;
      }
      if (lang === 'php' && q === '"' && c === '$' && isIdStart(source[j + 1] || '')) return skipString();
      value += c;
    }
    advance(j + 1);
    return value;
  };

  /** Skips a string we cannot use (interpolation); returns null. */
  const skipString = () => {
    const q = source[i];
    let j = i + 1;
    let depth = 0;
    for (; j < n; j++) {
      const c = source[j];
      if (c === '\\') {
        j++;
        continue;
      }
      if (q === '`' && c === '$' && source[j + 1] === '{') depth++;
      else if (q === '`' && c === '}' && depth > 0) depth--;
      else if (c === q && depth === 0) break;
    }
    advance(j + 1);
    return null;
  };

  const space = () => {
    for (;;) {
      while (i < n && /\s/.test(source[i])) advance(i + 1);
      if (!comment()) return;
    }
  };

  /** Reads one argument: a literal (or literals joined by . / +), else skips the expression. */
  const argument = () => {
    space();
    let value = null;
    let pure = true;
    const startsLiteral = source[i] === "'" || source[i] === '"' || (lang === 'js' && source[i] === '`');
    if (startsLiteral) {
      value = literal();
      if (value === null) pure = false;
      for (;;) {
        space();
        const joiner = lang === 'php' ? '.' : '+';
        if (source[i] !== joiner) break;
        advance(i + 1);
        space();
        const next = source[i] === "'" || source[i] === '"' || (lang === 'js' && source[i] === '`') ? literal() : null;
        if (next === null || value === null) {
          pure = false;
          break;
        }
        value += next;
      }
      space();
    } else {
      pure = false;
    }
    if (!pure || (source[i] !== ',' && source[i] !== ')')) {
      // Skip to the end of this argument at depth 0.
      let depth = 0;
      while (i < n) {
        const c = source[i];
        if (comment()) continue;
        if (c === "'" || c === '"' || (lang === 'js' && c === '`')) {
          skipString();
          continue;
        }
        if (c === '(' || c === '[' || c === '{') depth++;
        else if (c === ')' || c === ']' || c === '}') {
          if (depth === 0) break;
          depth--;
        } else if (c === ',' && depth === 0) break;
        advance(i + 1);
      }
      return null;
    }
    return value;
  };

  // JavaScript template literals: their text is skipped, their ${…} parts are code (which may
  // hold gettext calls). One entry per open ${: the depth of braces opened inside it.
  const templates = [];
  /** Skips template text from i (just after ` or the } closing a ${…}) to its end or next ${. */
  const templateText = () => {
    let j = i;
    for (; j < n; j++) {
      if (source[j] === '\\') {
        j++;
        continue;
      }
      if (source[j] === '`') {
        advance(j + 1);
        return;
      }
      if (source[j] === '$' && source[j + 1] === '{') {
        templates.push(0);
        advance(j + 2);
        return;
      }
    }
    advance(n);
  };

  while (i < n) {
    const c = source[i];
    if (comment()) continue;
    if (lang === 'js' && c === '`') {
      advance(i + 1);
      templateText();
      continue;
    }
    if (templates.length && (c === '{' || c === '}')) {
      advance(i + 1);
      if (c === '{') templates[templates.length - 1]++;
      else if (templates[templates.length - 1] > 0) templates[templates.length - 1]--;
      else {
        templates.pop();
        templateText();
      }
      continue;
    }
    if (c === "'" || c === '"') {
      skipString();
      continue;
    }
    if (isIdStart(c) && (i === 0 || !isId(source[i - 1]))) {
      let j = i;
      while (j < n && isId(source[j])) j++;
      const name = source.slice(i, j);
      const before = source.slice(Math.max(0, i - 2), i);
      // A method of some object (`$x->__(`, `X::__(`, `obj.__(`) is not WordPress's function.
      const member = lang === 'js' ? before.endsWith('.') && before !== '..' : before === '->' || before === '::';
      const callLine = line;
      advance(j);
      if (!Object.prototype.hasOwnProperty.call(FUNCTIONS, name) || member) continue;
      space();
      if (source[i] !== '(') continue;
      advance(i + 1);
      const args = [];
      for (;;) {
        space();
        if (source[i] === ')') break;
        args.push(argument());
        space();
        if (source[i] === ',') advance(i + 1);
        else break;
      }
      if (source[i] === ')') advance(i + 1);
      const [s, p, ctx, dom] = FUNCTIONS[name];
      const msgid = args[s];
      if (typeof msgid !== 'string' || msgid === '' || args[dom] !== DOMAIN) continue;
      if (p >= 0 && typeof args[p] !== 'string') continue;
      if (ctx >= 0 && typeof args[ctx] !== 'string') continue;
      const comment_ = translators && callLine - translators.endLine <= 2 ? translators.text : null;
      translators = null;
      found.push({ msgid, plural: p >= 0 ? args[p] : null, context: ctx >= 0 ? args[ctx] : null, line: callLine, comment: comment_ });
      continue;
    }
    advance(i + 1);
  }
  return found;
}

/** Plugin header fields WordPress translates, with WP-CLI's comments. */
function headerEntries(file) {
  const src = readFileSync(file, 'utf8').slice(0, 8192);
  const out = [];
  for (const [key, what] of [
    ['Plugin Name', 'Plugin Name of the plugin'],
    ['Plugin URI', 'Plugin URI of the plugin'],
    ['Description', 'Description of the plugin'],
    ['Author', 'Author of the plugin'],
  ]) {
    const m = src.match(new RegExp(`^[ \\t/*#@]*${key}:(.*)$`, 'mi'));
    if (m && m[1].trim()) out.push({ msgid: m[1].trim(), plural: null, context: null, comment: what, refs: [], format: null });
  }
  return out;
}

const PRINTF = /%(?:\d+\$)?[-+ 0#']*(?:\d+|\*)?(?:\.\d+)?[bcdeEfFgGosuxX]/;

function build() {
  const entries = new Map(); // key → entry
  const add = (e, ref, format) => {
    const key = `${e.context ?? ''}\u0004${e.msgid}`;
    let entry = entries.get(key);
    if (!entry) {
      entry = { msgid: e.msgid, plural: e.plural, context: e.context, comments: [], refs: [], formats: new Set() };
      entries.set(key, entry);
    }
    if (e.plural && !entry.plural) entry.plural = e.plural;
    if (e.comment && !entry.comments.includes(e.comment)) entry.comments.push(e.comment);
    for (const r of [].concat(ref)) if (r && !entry.refs.includes(r)) entry.refs.push(r);
    if (format && (PRINTF.test(e.msgid) || (e.plural && PRINTF.test(e.plural)))) entry.formats.add(format);
  };

  for (const e of headerEntries(join(PLUGIN, 'layersync.php'))) add(e, null, null);

  const php = walk(
    PLUGIN,
    (p) => p.endsWith('.php'),
    (p) => [join(PLUGIN, 'build'), join(PLUGIN, 'vendor'), join(PLUGIN, 'node_modules')].includes(p),
  );
  for (const file of php) {
    const rel = relative(PLUGIN, file).split(sep).join('/');
    for (const e of extract(readFileSync(file, 'utf8'), 'php')) add(e, `${rel}:${e.line}`, 'php-format');
  }

  const js = walk(ADMIN_SRC, (p) => /\.tsx?$/.test(p) && !p.endsWith('.d.ts'));
  for (const file of js) {
    const rel = relative(PLUGIN, file).split(sep).join('/');
    for (const e of extract(readFileSync(file, 'utf8'), 'js')) add(e, [ADMIN_BUNDLE, `${rel}:${e.line}`], 'javascript-format');
  }
  return [...entries.values()];
}

const quote = (s) => {
  const esc = s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
  const parts = esc.split('\n');
  if (parts.length === 1) return `"${esc}"`;
  return ['""', ...parts.map((p, k) => `"${p}${k < parts.length - 1 ? '\\n' : ''}"`).filter((l) => l !== '""')].join('\n');
};

function render(entries) {
  const version = (readFileSync(join(PLUGIN, 'layersync.php'), 'utf8').match(/^\s*\*\s*Version:\s*(\S+)/m) || [])[1] || '0.0.0';
  const head = [
    '# Copyright (C) LayerSync',
    '# This file is distributed under the GPL-2.0-or-later.',
    '# Generated by scripts/make-pot.mjs: do not edit by hand.',
    'msgid ""',
    'msgstr ""',
    `"Project-Id-Version: LayerSync ${version}\\n"`,
    '"Report-Msgid-Bugs-To: https://github.com/layersync/layersync/issues\\n"',
    '"Last-Translator: FULL NAME <EMAIL@ADDRESS>\\n"',
    '"Language-Team: LANGUAGE <LL@li.org>\\n"',
    '"MIME-Version: 1.0\\n"',
    '"Content-Type: text/plain; charset=UTF-8\\n"',
    '"Content-Transfer-Encoding: 8bit\\n"',
    '"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n"',
    '"X-Generator: scripts/make-pot.mjs\\n"',
    '"X-Domain: layersync\\n"',
    '',
  ];
  const body = entries.map((e) => {
    const lines = [];
    for (const c of e.comments) lines.push(`#. ${c}`);
    // WP-CLI style: several references per line, wrapped.
    let refLine = '';
    for (const r of e.refs) {
      if (refLine && refLine.length + r.length + 1 > 76) {
        lines.push(`#: ${refLine}`);
        refLine = '';
      }
      refLine = refLine ? `${refLine} ${r}` : r;
    }
    if (refLine) lines.push(`#: ${refLine}`);
    if (e.formats.size) lines.push(`#, ${[...e.formats].sort().join(', ')}`);
    if (e.context !== null) lines.push(`msgctxt ${quote(e.context)}`);
    lines.push(`msgid ${quote(e.msgid)}`);
    if (e.plural) {
      lines.push(`msgid_plural ${quote(e.plural)}`);
      lines.push('msgstr[0] ""', 'msgstr[1] ""');
    } else {
      lines.push('msgstr ""');
    }
    return lines.join('\n');
  });
  return `${head.join('\n')}\n${body.join('\n\n')}\n`;
}

const entries = build();
const pot = render(entries);
if (process.argv.includes('--check')) {
  const current = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
  if (current !== pot) {
    console.error(`${relative(ROOT, OUT)} is out of date: run node scripts/make-pot.mjs`);
    process.exit(1);
  }
  console.log(`${relative(ROOT, OUT)} is up to date (${entries.length} strings).`);
} else {
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, pot);
  console.log(`wrote ${relative(ROOT, OUT)}: ${entries.length} strings`);
}

