import { describe, expect, it } from 'vitest'
import {
  fuzzyFor,
  ID_FIELD,
  parseQuery,
  prefixFor,
  processTerm,
  tokenize,
} from '../../../src/search/terms.js'

describe('tokenize', () => {
  it('splits ids on dots, dashes and underscores, drops the reverse-DNS domain, keeps the whole id', () => {
    expect(tokenize('io.ggen.rust.cli_sub-command', ID_FIELD)).toEqual([
      'ggen',
      'rust',
      'cli',
      'sub',
      'command',
      'io.ggen.rust.cli_sub-command',
    ])
    expect(tokenize('ggen.rust', ID_FIELD)).toEqual(['ggen', 'rust', 'ggen.rust'])
    expect(tokenize('ggen', ID_FIELD)).toEqual(['ggen'])
  })

  it('splits other fields into words only', () => {
    expect(tokenize('io.ggen: Rust (CLI) tools!', 'description')).toEqual([
      'io',
      'ggen',
      'Rust',
      'CLI',
      'tools',
    ])
  })
})

describe('processTerm', () => {
  it('lower-cases and drops stop words, but keeps short language names', () => {
    expect(processTerm('Rust')).toBe('rust')
    expect(processTerm('The')).toBeNull()
    expect(processTerm('go')).toBe('go')
  })
})

describe('parseQuery', () => {
  it('gives each token its words, and an id prefix when it looks like an id', () => {
    expect(parseQuery('  Rust  io.ggen.cli-sub the ')).toEqual([
      { words: ['rust'] },
      { words: ['ggen', 'cli', 'sub'], idPrefix: 'io.ggen.cli-sub' },
    ])
  })
})

describe('prefix and typo rules', () => {
  it('matches prefixes from three letters and typos from four', () => {
    expect([prefixFor('ru'), prefixFor('rus')]).toEqual([false, true])
    expect([fuzzyFor('cli'), fuzzyFor('rust')]).toEqual([false, 0.2])
  })

  it('does not try typos on numbers or on words longer than any real word', () => {
    expect(fuzzyFor('2024')).toBe(false)
    expect(fuzzyFor('x'.repeat(65))).toBe(false)
  })
})
