// nunjucks' internal AST transformer (no typings of its own); compile.ts runs it after parsing.
declare module 'nunjucks/src/transformer.js' {
  const transformer: { transform(ast: unknown, asyncFilters: string[], name?: string): unknown };
  export default transformer;
}
