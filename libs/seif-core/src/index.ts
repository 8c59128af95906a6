// Public API of @seif/core. Stages are added here as they land.
export {};
