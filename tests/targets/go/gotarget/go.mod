module gotarget

go 1.19

// Vendored (vendor/), so builds need no network: a third-party-shaped dependency for own-code findings.
require example.com/plantedlib v0.1.0
