"""An example model package: pastes an emoji over every face in a photo (OpenCV + Pillow).

The service-facing class is ``face_emoji.model.FaceEmojiModel``; everything it does lives in
``faces`` (Haar cascade), ``emoji`` (drawing) and ``pipeline`` (the two together), which work
without the service installed.
"""
