// Public API of @seif/flame. Modules are added here as they land.
export {};
