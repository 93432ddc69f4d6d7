"""Shared decoders: finals in turn and never behind interims; interims shed under load."""

import asyncio

from bot.metrics import ASR_INTERIMS_SHED
from bot.speech.decode_slots import DecodeSlots


async def hold(slots: DecodeSlots, name: str, order: list[str], release: asyncio.Event) -> None:
    async with slots.final():
        order.append(name)
        await release.wait()


async def test_finals_take_free_decoders_then_wait_in_turn() -> None:
    slots, order, release = DecodeSlots(2), [], asyncio.Event()
    tasks = [asyncio.create_task(hold(slots, name, order, release)) for name in "abcd"]
    await asyncio.sleep(0.01)
    assert order == ["a", "b"]  # two decoders; c and d wait
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["a", "b", "c", "d"]


async def test_an_interim_is_shed_while_a_final_waits_or_every_decoder_is_busy() -> None:
    slots, order, release = DecodeSlots(1), [], asyncio.Event()
    shed_before = ASR_INTERIMS_SHED._value.get()
    first = asyncio.create_task(hold(slots, "first", order, release))
    await asyncio.sleep(0.01)
    async with slots.interim() as decoding:
        assert not decoding  # the only decoder is busy: shed, not queued
    second = asyncio.create_task(hold(slots, "second", order, release))
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(first, second)
    assert order == ["first", "second"]
    async with slots.interim() as decoding:
        assert decoding  # all free again
    assert ASR_INTERIMS_SHED._value.get() == shed_before + 1


async def test_a_final_given_up_while_waiting_leaves_no_decoder_taken() -> None:
    slots, order, release = DecodeSlots(1), [], asyncio.Event()
    first = asyncio.create_task(hold(slots, "first", order, release))
    await asyncio.sleep(0.01)
    waiting = asyncio.create_task(hold(slots, "gave up", order, release))
    await asyncio.sleep(0.01)
    waiting.cancel()
    release.set()
    await first
    assert waiting.cancelled() and order == ["first"]
    async with slots.interim() as decoding:
        assert decoding  # the decoder came back
