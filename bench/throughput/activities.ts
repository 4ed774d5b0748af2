/** The benchmark's activity: does nothing but echo its input. */
export async function noop(input: string): Promise<string> {
  return input;
}
