import type { AnyStateMachine } from 'xstate';

interface NodeLike {
  key: string;
  path: string[];
  type: string;
  states: Record<string, NodeLike>;
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
  initial?: { target: NodeLike[] };
}
interface TransitionLike {
  target?: readonly NodeLike[];
  guard?: { type?: string; params?: unknown } | ((...args: unknown[]) => unknown);
  reenter?: boolean;
}

const idOf = (node: NodeLike): string => (node.path.length ? node.path.join('_') : 'root');

/**
 * A Mermaid `stateDiagram-v2` of a machine, generated from its definition so the documented
 * lifecycle cannot drift from the code. Transitions are labelled with the event type (and the
 * guard's name where there is one); eventless transitions are labelled "always".
 */
export function toMermaid(machine: AnyStateMachine, options: { title?: string } = {}): string {
  const root = machine.root as unknown as NodeLike;
  const lines: string[] = ['stateDiagram-v2'];
  if (options.title) lines.unshift('---', `title: ${options.title}`, '---');
  const edges: string[] = [];

  const guardName = (t: TransitionLike): string => {
    const g = t.guard;
    if (!g) return '';
    if (typeof g === 'function') return g.name ? ` [${g.name}]` : ' [guard]';
    if (!g.type) return '';
    const params = g.params && typeof g.params === 'object' ? Object.values(g.params as Record<string, unknown>).map(String).join(', ') : '';
    return params ? ` [${g.type}(${params})]` : ` [${g.type}]`;
  };

  const visit = (node: NodeLike, indent: string): void => {
    const children = Object.values(node.states);
    if (node.initial?.target?.length) lines.push(`${indent}[*] --> ${idOf(node.initial.target[0]!)}`);
    for (const child of children) {
      const id = idOf(child);
      if (Object.keys(child.states).length) {
        lines.push(`${indent}state "${child.key}" as ${id} {`);
        visit(child, indent + '  ');
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${child.key}" as ${id}`);
        if (child.type === 'final') edges.push(`  ${id} --> [*]`);
      }
      const seen = new Set<string>();
      const add = (label: string, t: TransitionLike) => {
        for (const target of t.target ?? []) {
          const edge = `  ${id} --> ${idOf(target)}: ${label}${guardName(t)}`;
          if (!seen.has(edge)) {
            seen.add(edge);
            edges.push(edge);
          }
        }
      };
      for (const [event, transitions] of child.transitions) {
        if (event.startsWith('xstate.')) continue;
        for (const t of transitions) add(event, t);
      }
      for (const t of child.always ?? []) add('always', t);
    }
  };
  visit(root, '  ');
  return [...lines, ...edges].join('\n') + '\n';
}
