"""diagramlab's labeler: the Gradio app (Label, Playground and Train tabs). Run `diagramlab app`."""
