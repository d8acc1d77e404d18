// Messages between the fuzz engine (parent) and its case-running child processes.

export interface InitMessage {
  type: 'init';
  seed: number;
  fixturesDir: string;
  /** Peak memory bound of a case: baseMB + perInputByte x (bytes of the model's files). */
  memory: MemoryBound;
  /** Send every case's mutations and error messages, not only for findings. */
  verbose: boolean;
}

export interface MemoryBound {
  baseMB: number;
  perInputByte: number;
}

export interface RunMessage {
  type: 'run';
  cases: number[];
}

export interface DescribeMessage {
  type: 'describe';
  k: number;
}

export type ToWorker = InitMessage | RunMessage | DescribeMessage;

/** 'unclear': a TfconvError whose message is not one clear line; 'harness': the fuzzer itself failed. */
export type CaseOutcome = 'ok' | 'error' | 'crash' | 'unclear' | 'harness';

export interface CaseResult {
  type: 'result';
  k: number;
  subject: string;
  kind: string;
  format: string;
  outcome: CaseOutcome;
  /** Error codes of the steps that failed with a TfconvError, in order. */
  codes: string[];
  /** Steps that completed (each once). */
  okSteps: string[];
  ms: number;
  peakKB: number;
  boundKB: number;
  inputBytes: number;
  outputBytes: number;
  /** For crashes, unclear messages and cases over the memory bound. */
  detail?: CaseDetail;
}

export interface CaseDetail {
  mutations: string[];
  file: string;
  step?: string;
  error?: string;
  stack?: string;
  /** Verbose runs: every TfconvError the case's steps ended in. */
  errors?: { step: string; code: string; message: string }[];
}

export interface ReadyMessage {
  type: 'ready';
  scratch: string;
  subjects: number;
  missing: string[];
  exactPeak: boolean;
}

export interface DescribedMessage {
  type: 'described';
  k: number;
  subject: string;
  file: string;
  mutations: string[];
}

export interface BatchDoneMessage {
  type: 'batch-done';
}

export type FromWorker = ReadyMessage | CaseResult | DescribedMessage | BatchDoneMessage;
