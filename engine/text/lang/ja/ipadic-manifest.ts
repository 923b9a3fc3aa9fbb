// kuromoji 0.1.2's IPADIC dictionary (npm package kuromoji, dict/): size and SHA-256 of every file,
// checked before the tokenizer is built; a mismatch refuses to load (the models-path way).
export const KUROMOJI_VERSION = '0.1.2';
export const IPADIC_FILES: ReadonlyArray<{ name: string; size: number; sha256: string }> = [
  { name: 'base.dat.gz', size: 3956825, sha256: '0803327762e1c93ca731e4319ab8343340f2806bb84941207782cde9d2d5a8eb' },
  { name: 'cc.dat.gz', size: 1692067, sha256: '02b7631be0d4de3a1a75cd9f9cc51536e4f94c9e6b389b813e06ba0f6e7de765' },
  { name: 'check.dat.gz', size: 3111633, sha256: '193ae0035fff6fe812b58d9ee730e7a7d7ee601d918481ce51075c58114f6cc9' },
  { name: 'tid.dat.gz', size: 1605820, sha256: 'd43d831cb6fb0f0a411739cd287a6d5e998e121a8daca614df14a81a0dcac586' },
  { name: 'tid_map.dat.gz', size: 1485576, sha256: '33efd5ffd87a70f669add093fa39dee44341d58f940844ef107c8fd98bb795b2' },
  { name: 'tid_pos.dat.gz', size: 5916009, sha256: '60dbfc99a6ab993f30c5dab648bec6ad7f9aaefa5c14e1843837d95e509f8895' },
  { name: 'unk.dat.gz', size: 10512, sha256: 'f7f991cdeb9bfd3e9c0e4577cc50ee0815a11c508cccd444a9d3ab3c81521100' },
  { name: 'unk_char.dat.gz', size: 306, sha256: '9a8e86fd9aff32d323fbb59f5a7006f05927a11f8173c90712cc56293aeb3225' },
  { name: 'unk_compat.dat.gz', size: 338, sha256: '50f60aa29bc2e86c2903ab8c825bb6fa604d2b294d96941c1d3924259791899d' },
  { name: 'unk_invoke.dat.gz', size: 1140, sha256: '6b210889548457c3006913afd12c8b525562255f2709e404604be9614a25e94c' },
  { name: 'unk_map.dat.gz', size: 1190, sha256: '6df12460e5477230bb6fd9641def918b699fc0a8868016b6c9f794488630509b' },
  { name: 'unk_pos.dat.gz', size: 10540, sha256: '5b183a29f281acc7e0542beca47b83f7985047c0a2d27e78a66f32276be5ad11' },
];
