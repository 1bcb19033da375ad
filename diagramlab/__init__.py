"""The `diagramlab` command, above the three packages it dispatches to (diagram, trainer, labeler).

Nothing below imports this package: the arrows stay `diagramlab -> labeler -> trainer -> diagram`.
"""
