/** `ggen-market init`: create the home; never overwrites a key. */
import { initHome } from '../../node/init.js'
import type { CommandAction } from '../run.js'

export default (_args: unknown[], _opts: Record<string, unknown>): CommandAction =>
  async ({ home, out }) => {
    const result = await initHome(home)
    out.result(result, () =>
      [
        `${result.created ? 'Created' : 'Using existing'} home ${result.home}`,
        `  publisher  ${result.publisher}`,
        `  peer id    ${result.peerId}`,
      ].join('\n'),
    )
    return undefined
  }
