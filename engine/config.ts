// Engine settings, from the environment (the gateway sets them when it forks an engine;
// a remote engine reads them the same way).
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { modelFiles, resolveModelsDir } from '../models/paths.js';

export interface EngineConfig {
  id: string;
  host: string;
  /** 0 picks a free port (the gateway learns it from the engine's `listening` message). */
  port: number;
  modelsDir: string;
  modelPath: string;
  /** `cpu` or `cuda:N` (with CUDA_VISIBLE_DEVICES pinned, usually cuda:0). */
  device: string;
  threads: number;
  maxActive: number;
  heartbeatMs: number;
  maxBodyBytes: number;
  upgradeLib: string;
}

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${value}'`);
  return n;
}

export function loadEngineConfig(env: NodeJS.ProcessEnv): EngineConfig {
  const modelsDir = resolveModelsDir(env);
  return {
    id: env.ENGINE_ID || `engine-${process.pid}`,
    host: env.ENGINE_HOST || '127.0.0.1',
    port: int(env.ENGINE_PORT, 0, 'ENGINE_PORT'),
    modelsDir,
    modelPath: env.KOKORO_MODEL_FILE ? resolve(env.KOKORO_MODEL_FILE) : modelFiles(modelsDir).model,
    device: env.ENGINE_DEVICE || 'cpu',
    threads: int(env.ENGINE_THREADS, Math.max(1, availableParallelism()), 'ENGINE_THREADS') || 1,
    maxActive: int(env.ENGINE_MAX_ACTIVE, 8, 'ENGINE_MAX_ACTIVE') || 1,
    heartbeatMs: int(env.ENGINE_HEARTBEAT_MS, 1000, 'ENGINE_HEARTBEAT_MS') || 1000,
    maxBodyBytes: 8 * 1024 * 1024,
    upgradeLib: modelFiles(modelsDir).runtimeLibrary,
  };
}
