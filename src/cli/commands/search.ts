/** `ggen-market search QUERY`: ranked full-text search. */
import type { CommandAction } from '../run.js'

interface SearchOptions {
  category?: string
  keyword?: string
  publisher?: string
  limit: string
}

export default ([words]: unknown[], opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const o = opts as unknown as SearchOptions
    const result = await (await ctx.node()).search({
      query: (words as string[]).join(' '),
      category: o.category,
      keyword: o.keyword,
      publisher: o.publisher,
      limit: Number(o.limit),
    })
    ctx.out.result(result, () => {
      if (result.total === 0) return 'No packages found.'
      const lines = result.results.map((r) => `${r.id}@${r.version}  ${r.title}\n    ${r.description}`)
      const more =
        result.total > result.results.length
          ? `\n(${result.total - result.results.length} more; use --limit)`
          : ''
      return `${lines.join('\n')}${more}`
    })
    return undefined
  }
