"""Commands beyond `build`: `new`, `serve`, `subscribers` and `send` (later `init`, `import`).

Each is a small library function that `cli` wraps; they may call the build but must not import
`cli`, and nothing below them imports a command.
"""
