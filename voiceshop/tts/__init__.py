"""Speech out: reply text -> PCM (pyttsx3 / espeak-ng, or Piper), and earcons.

voice         pyttsx3 synthesis with pace and volume steps (the only module importing pyttsx3)
piper_voice   Piper, the natural voice (the optional extra; the only module importing piper)
piper_stream  Piper's model cut where its decoder starts, so a sentence plays from its first stretch
earcons       short tones for "listening", "got it", "didn't catch that"
"""
