/**
 * The V8 flags the operator runs with, as the image's ENTRYPOINT (Dockerfile; a unit test keeps the two
 * equal) and `make demo` pass them: the tests, the bench and the chaos run measure what ships.
 */
export const OPERATOR_NODE_ARGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=20'];
