/**
 * A client for a service that is constructed later, bound exactly once. The composition root
 * (src/server) uses it for the one cycle between services: matching calls history (record a task
 * started) and history calls matching (dispatch a task), so one of the two is built first with a
 * client of the other. Calls before `bind` fail loudly instead of waiting; a second `bind` throws.
 * When services run in separate processes this is where a routing gRPC client goes instead.
 */
export class LateBinding<T extends object> {
  private target: T | undefined;
  /** forwards every method call to the bound target */
  readonly client: T;

  constructor(private readonly what: string) {
    // A Proxy forwards any member of T without listing them here (the interface is the list).
    this.client = new Proxy({} as T, {
      get: (_, prop) => {
        const t = this.resolve();
        const v = (t as Record<string | symbol, unknown>)[prop];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  }

  bind(target: T): void {
    if (this.target) throw new Error(`${this.what} is already bound`);
    this.target = target;
  }

  private resolve(): T {
    if (!this.target) throw new Error(`${this.what} was called before the server bound it (a wiring error in src/server)`);
    return this.target;
  }
}
