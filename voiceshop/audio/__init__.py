"""Sound in: sources (microphone, WAV, raw PCM), conversion to 16 kHz mono, endpointing, earcons.

pcm        the one PCM format, resampling, WAV reading and writing, levels, noise mixing, tones
source     the AudioSource interface; WAV and raw-PCM sources
devices    PortAudio microphone and speaker (the only module importing sounddevice)
wakeword   the packaged wake word models (the only module importing pymicro_wakeword)
sink       where sound goes: the speaker, WAV files; playback that can be cut
endpoint   voice activity against an adaptive noise floor -> one Utterance per command
echo       the played reply taken back out of the microphone (delay, clipping, double talk)
mdf        echo's adaptive filter: partitioned-block frequency-domain, foreground/background
residual   echo's residual echo suppressor (what the filter leaves, band by band)
"""
