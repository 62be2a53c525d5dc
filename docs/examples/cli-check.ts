/**
 * Checks the shell snippets of the guides against the CLI's own command tree, so a guide cannot
 * name a command, flag or argument that `hydralora` does not define. Used by examples.test.ts.
 */
import type { Command, Option } from 'commander';

/** One `hydralora …` invocation found in a snippet: where it is and its words after `hydralora`. */
export interface Invocation {
  line: number;
  text: string;
  argv: string[];
}

/** Split a shell line into words (single and double quotes kept together, no expansion). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}

/** Every `hydralora …` call in a snippet: continuations joined, `&&` chains split, env prefixes dropped. */
export function invocations(script: string): Invocation[] {
  const out: Invocation[] = [];
  const lines = script.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i] ?? '';
    while (text.trimEnd().endsWith('\\') && i + 1 < lines.length) {
      text = `${text.trimEnd().slice(0, -1)} ${lines[++i] ?? ''}`;
    }
    if (text.trim().startsWith('#')) continue;
    for (const part of text.split(/&&|\|\||;/)) {
      const words = shellWords(part);
      while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) words.shift();
      const at = words.indexOf('hydralora');
      const runner = words.slice(0, at).join(' ');
      if (at < 0 || !['', 'pnpm', 'npx', 'pnpm exec'].includes(runner)) continue;
      out.push({ line: start + 1, text: part.trim(), argv: words.slice(at + 1) });
    }
  }
  return out;
}

function findOption(commands: Command[], word: string): Option | undefined {
  for (const command of commands) {
    const found = command.options.find((o) => o.long === word || o.short === word);
    if (found) return found;
  }
  return undefined;
}

/** Problems with one invocation against the command tree (empty when it would parse). */
export function validate(program: Command, argv: string[]): string[] {
  const problems: string[] = [];
  const path: Command[] = [program];
  let rest = [...argv];
  for (;;) {
    const current = path[path.length - 1]!;
    const sub = current.commands.find((c) => c.name() === rest[0] || c.aliases().includes(rest[0] ?? ''));
    if (!sub) break;
    path.push(sub);
    rest = rest.slice(1);
  }
  const command = path[path.length - 1]!;
  if (command === program) return [`no command named '${rest[0] ?? ''}'`];
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (word === '--help' || word === '-h') continue;
    if (!word.startsWith('-')) {
      positionals.push(word);
      continue;
    }
    const [flag, inline] = word.split('=', 2) as [string, string | undefined];
    const option = findOption([...path].reverse(), flag);
    if (!option) {
      problems.push(`'${command.name()}' has no option ${flag}`);
      // Its value (if any) is not a positional argument.
      if (inline === undefined && rest[i + 1] && !rest[i + 1]!.startsWith('-')) i++;
      continue;
    }
    if (option.required && inline === undefined) {
      if (i + 1 >= rest.length) problems.push(`${flag} needs a value`);
      i++;
    } else if (option.optional && inline === undefined && rest[i + 1] && !rest[i + 1]!.startsWith('-')) {
      i++;
    }
  }
  const declared = command.registeredArguments;
  const variadic = declared.some((a) => a.variadic);
  if (!variadic && positionals.length > declared.length) {
    problems.push(`'${command.name()}' takes ${declared.length} argument(s), got ${positionals.join(' ')}`);
  }
  const required = declared.filter((a) => a.required).length;
  if (positionals.length < required) problems.push(`'${command.name()}' needs ${required} argument(s)`);
  return problems;
}
