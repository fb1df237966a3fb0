/**
 * The install order of a resolved graph: dependencies first, deterministic, and a cycle
 * reported as the path that closes it.
 */
import { ResolveError } from '../domain/errors.js'

/**
 * A topological order of `edges` (id -> the ids it depends on), dependencies first, ties
 * broken by id; throws ResolveError 'ERR_CYCLE' naming the cycle as `a -> b -> a`.
 * Edges to ids that are not keys of `edges` are ignored.
 */
export function installOrder(edges: ReadonlyMap<string, readonly string[]>): string[] {
  const order: string[] = []
  const done = new Set<string>()
  const path: string[] = []
  const onPath = new Set<string>()

  const visit = (id: string): void => {
    if (done.has(id)) return
    if (onPath.has(id)) {
      const cycle = [...path.slice(path.indexOf(id)), id]
      throw new ResolveError(
        'ERR_CYCLE',
        `dependency cycle: ${cycle.join(' -> ')}. Packages cannot depend on themselves, even indirectly; ` +
          'the publisher of one of them must drop the dependency that closes the loop.',
        { cycle },
      )
    }
    path.push(id)
    onPath.add(id)
    for (const dep of [...(edges.get(id) ?? [])].sort()) {
      if (edges.has(dep)) visit(dep)
    }
    path.pop()
    onPath.delete(id)
    done.add(id)
    order.push(id)
  }

  for (const id of [...edges.keys()].sort()) visit(id)
  return order
}
