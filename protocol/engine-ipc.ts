// What a forked engine tells its parent (the gateway) over the IPC channel.
export type EngineToParent =
  | { type: 'engine-listening'; host: string; port: number }
  | { type: 'engine-ready'; runtime: string; device: string }
  | { type: 'engine-failed'; message: string };
