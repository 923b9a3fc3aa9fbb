"""Wyoming client for test/e2e/wyoming.test.ts: the real `wyoming` package talks to our server.

Runs describe, a synthesize, the streaming form and an unknown voice against --host/--port and
prints one JSON object with what it saw (the TypeScript test asserts on it).
"""

import argparse
import asyncio
import json

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeStopped, SynthesizeVoice

TIMEOUT = 240


async def read_audio(client, until_stopped):
    """Collects events until audio-stop (or synthesize-stopped when streaming), an error, or the close."""
    out = {"types": [], "pcm": b"", "formats": [], "error": None, "closed": False}
    while True:
        event = await asyncio.wait_for(client.read_event(), TIMEOUT)
        if event is None:
            out["closed"] = True
            return out
        if not AudioChunk.is_type(event.type):
            out["types"].append(event.type)
        if AudioStart.is_type(event.type):
            start = AudioStart.from_event(event)
            out["formats"].append([start.rate, start.width, start.channels])
        elif AudioChunk.is_type(event.type):
            chunk = AudioChunk.from_event(event)
            out["formats"].append([chunk.rate, chunk.width, chunk.channels])
            out["pcm"] += chunk.audio
        elif Error.is_type(event.type):
            err = Error.from_event(event)
            out["error"] = {"text": err.text, "code": err.code}
        elif AudioStop.is_type(event.type) and not until_stopped:
            return out
        elif SynthesizeStopped.is_type(event.type):
            return out


def summary(result, pcm_file=None):
    pcm = result.pop("pcm")
    if pcm_file:
        with open(pcm_file, "wb") as f:
            f.write(pcm)
    result["bytes"] = len(pcm)
    result["formats"] = sorted({tuple(f) for f in result["formats"]})
    return result


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--voice", default="af_heart")
    ap.add_argument("--text", required=True)
    ap.add_argument("--parts", required=True, help="JSON list of text pieces for the streaming form")
    ap.add_argument("--pcm-out", required=True)
    args = ap.parse_args()
    results = {}

    async with AsyncTcpClient(args.host, args.port) as client:
        await client.write_event(Describe().event())
        while True:
            event = await asyncio.wait_for(client.read_event(), TIMEOUT)
            if Info.is_type(event.type):
                break
        info = Info.from_event(event)
        results["info"] = {
            "tts": [
                {
                    "name": p.name,
                    "streaming": p.supports_synthesize_streaming,
                    "voices": [{"name": v.name, "languages": v.languages, "description": v.description} for v in p.voices],
                }
                for p in info.tts
            ]
        }

    async with AsyncTcpClient(args.host, args.port) as client:
        await client.write_event(Synthesize(text=args.text, voice=SynthesizeVoice(name=args.voice)).event())
        results["synthesize"] = summary(await read_audio(client, False), args.pcm_out)

    async with AsyncTcpClient(args.host, args.port) as client:
        # As Home Assistant does: start, the text in pieces, the whole text again as a plain
        # synthesize (for servers that do not stream; ours must ignore it), then stop.
        parts = json.loads(args.parts)
        await client.write_event(SynthesizeStart(voice=SynthesizeVoice(name=args.voice)).event())
        for part in parts:
            await client.write_event(SynthesizeChunk(text=part).event())
            await asyncio.sleep(0.2)
        await client.write_event(Synthesize(text="".join(parts), voice=SynthesizeVoice(name=args.voice)).event())
        await client.write_event(SynthesizeStop().event())
        results["stream"] = summary(await read_audio(client, True))

    async with AsyncTcpClient(args.host, args.port) as client:
        await client.write_event(Synthesize(text="Hello.", voice=SynthesizeVoice(name="zz_nobody")).event())
        results["unknown_voice"] = summary(await read_audio(client, False))

    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())
