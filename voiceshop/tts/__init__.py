"""Speech out: reply text -> PCM (pyttsx3 / espeak-ng), and earcons.

voice     pyttsx3 synthesis with pace and volume steps (the only module importing pyttsx3)
earcons   short tones for "listening", "got it", "didn't catch that"
"""
