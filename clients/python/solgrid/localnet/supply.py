"""Supply and the largest accounts as a validator reports them (getSupply, getLargestAccounts).

The total supply is the sum of the lamports of every account of the bank. The non-circulating part is
what agave 4.2.2 counts as such: a fixed list of addresses (the mainnet-beta foundation and team
accounts, ``NON_CIRCULATING_ACCOUNTS``; getSupply lists every one of them whether it exists or not, as
solana-test-validator 4.2.2 does) and every initialized or delegated stake account whose lockup is in
force at the bank's clock. The list was read from solana-test-validator 4.2.2's getSupply answer.
(agave also counts stake accounts whose withdraw authority is one of mainnet-beta's auto-staking
authorities; no such account exists on a local node unless a test creates one, and none is counted here.)
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from solders.account import Account
from solders.clock import Clock
from solders.pubkey import Pubkey

STAKE_PROGRAM_ID = Pubkey.from_string("Stake11111111111111111111111111111111111111")
LARGEST_ACCOUNTS = 20
"""Accounts getLargestAccounts answers."""

_STAKE_INITIALIZED = 1
_STAKE_DELEGATED = 2
_LOCKUP = struct.Struct("<qQ")
_LOCKUP_OFFSET = 4 + 8 + 32 + 32
"""StakeStateV2: tag (u32), Meta {rent_exempt_reserve u64, authorized {staker, withdrawer}, lockup
{unix_timestamp i64, epoch u64, custodian}}."""

NON_CIRCULATING_ACCOUNTS = frozenset(
    Pubkey.from_string(address)
    for address in (
        "145FLxWrDG9gKifyJKSnkKNAUPhG6hxUMEiZWw6XeSMW",
        "14FUT96s9swbmH7ZjpDvfEDywnAYy9zaNhv4xvezySGu",
        "26FqcAbTLvr6cVXk2ktPu9hpeMYWukY7uUwNCtTwu7Wb",
        "2UdDthRdtZKMjEx9oQYnzuLdWy3sa4XKeaqihdXkXFza",
        "2WWb1gRzuXDd5viZLQF7pNRR6Y7UiyeaPpaL35X6j3ve",
        "2bvGnYAPSV8pa1H3vRYr5tPAXktP4DkFACHfAgqyyfhd",
        "2xP8YQ3sVmfNPtGM17tZi7Lr4vsPUiN6mHLx42roazG5",
        "33XwSCq2Ft5tTCsGK7kTyMCJ4hqufDZT2REFAWXmsia8",
        "362rDzQwChHJ9ToZgLdv8wzFHTTsxsxzFLTZPwKY3CYg",
        "3CYxk8uTXtANvbU1HW3NHNhKcBEfYesi2BdBFizy3f6s",
        "3FKwgoQWCz4i43Pbo3jdfsjzkgrkjnk44rDWh7A9J9Ee",
        "3MP45RTcFdLX3HpPD18asXCCxFjsgrZM9V6tEeQxFXd4",
        "3ZrsTmNM6AkMcqFfv3ryfhQ2jMfqP64RQbqVyAaxqhrQ",
        "3bTGcGB9F98XxnrBNftmmm48JGfPgi5sYxDEKiCjQYk3",
        "3fV2GaDKa3pZxyDcpMh5Vrh2FVAMUiWUKbYmnBFv8As3",
        "3iPvAS4xdhYr6SkhVDHCLr7tJjMAFK4wvvHWJxFQVg15",
        "3itU5ME8L6FDqtMiRoUiT1F7PwbkTtHBbW51YWD5jtjm",
        "3jnknRabs7G2V9dKhxd2KP85pNWXKXiedYnYxtySnQMs",
        "3o6xgkJ9sTmDeQWyfj3sxwon18fXJB9PV5LDc8sfgR4a",
        "3p9ZxnrSFTkXVrT3KnYg2tT6asnysDApEFB5DRkdeAhB",
        "3wzw3L4wd3B7DHocbQxHosQXEfqEz5AnkQHKBisGKLzY",
        "3yeCpRbBU5gzBaweVRqUXFcZUp7gSXBeknKcbGmjwmjJ",
        "43Cwv866ActL11JqVQXoFPiytUYA3tFXUaNg1zPsarn9",
        "43KdfhYK6LUXX4LmyxfZ1KLaQrfpRe8vNwopNS7wXsUC",
        "4VCET97mE8ixxAPRYabM7S7dvkiAFZ8ZzEoH6kbmfYus",
        "4bAowZuPRG8jzNwMceqjYjZnrGXQNR5ZCgQJM8s4hF4i",
        "4bWjzNek2m6P3Q8rKkq11C47TaoAwpj3ykk5yDCYLWr1",
        "4dc5ty7TNod2EQfx4bPnDofPbQk5cELcn3it47qnLizL",
        "4pV47TiPzZ7SSBPHmgUvSLmH9mMSe8tjyPhQZGbi1zPC",
        "4sNBQyPbJCQyUimBueZkGWnLVqds4rWkm7eXyi9WskGU",
        "4sxwau4mdqZ8zEJsfryXq4QFYnMJSCp3HWuZQod8WU5k",
        "4vuWt1oHRqLMhf8Nv1zyEXZsYaeK7dipwrfKLoYU9Riq",
        "513qFSVgmAQFBDsnyFCM1MrVKBrWiDgb4nXrdGsqa7Z4",
        "56AidDLicyQaLMqbMQeZ7itUmJyd7TAvehVDi8MXDYbx",
        "5A2yoxdGdC3B3QC39pkXpjx2ZPH4WGgie9exHQnhNz4J",
        "5D5NxsNVTgXHyVziwV7mDFwVDS6voaBsyyGxUbhQrhNW",
        "5HA8QV7tp59iNpfjs8f84LGUGX4imaynMFSKWHUcTrMT",
        "5McU7LcsRw3RHyrjj98qHefx6ehy7MdjF1uKKi6Kp8hV",
        "5PLJZLJiRR9vf7d1JCCg7UuWjtyN9nkab9uok6TqSyuP",
        "5TuV9WpmESXNfTNqasXVehoXpQy65WUHBbzgKPXPLwWx",
        "5XdtyEDREHJXXW1CTtCsVjJRjBapAwK78ZquzvnNVRrV",
        "5aUknZidNKmAPxLMHoUeWsEdmXX8sGKvj8s71pHTDC7H",
        "5kFTzLuM2VgFdb6x16smnY3JWoVdPxNZVFAqeVgjSTUP",
        "5khMKAcvmsFaAhoKkdg3u5abvKsmjUQNmhTNP624WB1F",
        "5q54XjQ7vDx4y6KphPeE97LUNiYGtP55spjvXAWPGBuf",
        "5smrYwb1Hr2T8XMnvsqccTgXxuqQs14iuE8RbHFYf2Cf",
        "5tDptzMGG79DLp9XV4fdcmiRNPQGCkfBJeo8EVCSYKw7",
        "5zHRch6mowPiobRQHYXZ1siRcthw4dYkFPuaNDQkK3EE",
        "619qLS85ieR4qh7MGNLLZyLefN7hMi2FDVb5cmX1nisb",
        "63DtkW7zuARcd185EmHAkfF44bDcC2SiTSEj2spLP3iA",
        "6B7mXMM6BixHvDpPAPLSKweLyCXcbtprkfsw3HfMUSjZ",
        "6Lfk4e6yxXGcFNMHue5u8KQM9hWYKjbdMFZ2n7SHHd6L",
        "6WuU6DWoM7ZpgUVL5TR97Fgose7vLgrv4Qvg1Yhqv8Xw",
        "6dXeE5hS8bQKeqZsc18ewCyqHimnhCBAvVJBusnRqa2F",
        "6mXiGJbQbX726ZhrMSmbLCF81E8rkSfo1pvBWyn1asG5",
        "6n1mSmsdGFCkEyyHe4wtgEigbwhiwYRszrerMW9YRyYF",
        "6nN69B4uZuESZYxr9nrLDjmKRtjDZQXrehwkfQTKw62U",
        "6o5v1HC7WhBnLfRHp8mQTtCP2khdXXjhuyGyYEoy2Suy",
        "6spvvQJzFCcw5fVVdF1zKxCeq8Gj2yRFGgFuG16fYSMo",
        "6vHscAGjgbTfi1ooRVWGjSiUhHcUnLBceJyuKjpKrCYy",
        "6yKHERk8rsbmJxvMpPuwPs1ct3hRiP7xaJF2tvnGU6nK",
        "6zw7em7uQdmMpuS9fGz8Nq9TLHa5YQhEKKwPjo5PwDK4",
        "73Aa7yCd6AMPqsaLisfgrpjESVFtDrLnHEjfDsXBK3HV",
        "768NcPfBJpFBtjDAbYZLFkej6ca1W5jeArsW5MtdF8S9",
        "7Anoa4ZRiq8qaaiEnhmdpXyTEmBjZASXGfnQqVDynNie",
        "7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2",
        "7PzsZ3ApLcfQosSr2B1C9YV1GNNgriZVFyqzDpeHoAD",
        "7Xgby7EgwoRkhbQSdNJL9sXwpo3jddUhqB4zv3WuJB4m",
        "7Y8smnoUrYKGGuDq2uaFKVxJYhojgg7DVixHyAtGTYEV",
        "7cvkjYAkUYs4W8XcXsca7cBrEGFeSUjeZmKoNBvEwyri",
        "7xJ9CLtEAcEShw9kW2gSoZkRWL566Dg12cvgzANJwbTr",
        "88YC29WwpugANLcN7DYkuL3benW79WsdxkQ3KX8zER9s",
        "8CUUMKYNGxdgYio5CLHRHyzMEhhVRMcqefgE6dLqnVRK",
        "8DE8fqPfv1fp9DHyGyDFFaMjpopMgDeXspzoi9jpBJjC",
        "8M731ZthMdeVoMFGRaPnUBzR7Ze6qY4zEcQ7WALEAn5i",
        "8UVjvYyoqP6sqcctTso3xpCdCfgTMiv3VRh7vraC2eJk",
        "8W58E8JVJjH1jCy5CeHJQgvwFXTyAVyesuXRZGbcSUGG",
        "8ndGYFjav6NDXvzYcxs449Aub3AxYv4vYpk89zRDwgj7",
        "8o8trB6XdG8o4qo29De2mcooY5E3pW2rvMMkeBwJHkUD",
        "8pNBEppa1VcFAsx4Hzq9CpdXUXZjUXbvQwLX2K7QsCwb",
        "8rT45mqpuDBR1vcnDc9kwP9DrZAXDR4ZeuKWw3u1gTGa",
        "8rp9vcJG1Uwk25g9XfQNHysfGBYcHizVEJvavqiffB6P",
        "8vqrX3H2BYLaXVintse3gorPEM4TgTwTFZNN1Fm9TdYs",
        "98j2yMfxrLzQ5YQJU1FMW3CTkoYgZStJirpm4HLAkA3o",
        "9S2M3UYPpnPZTBtbcUvehYmiWFK3kBhwfzV2iWuwvaVy",
        "9ahLw5LFpeTuBykK3A5aiFZ1CidTY7z4YxG2kmQdSGon",
        "9hknftBZAQL4f48tWfk3bUEV5YSLcYYtDRqNmpNnhCWG",
        "9huDUZfxoJ7wGMTffUE7vh1xePqef7gyrLJu9NApncqA",
        "9oBNYSARUMuH2swnxzbxCi827YfUnYWyWSAkrHz93h5y",
        "9xbcBZoGYFnfJZe81EDuDYKUm8xGkjzW8z4EgnVhNvsv",
        "9xz1vZSWgY6TFPLZgPM2WJjDM1KiPXcALnjYFHRTkYiK",
        "A3aaVsuX7BfNCUQbuepQSaLs9KNB7c6djG6u4UuJzwwP",
        "AG3m2bAibcY8raMt4oXEGqRHwX4FWKPPJVjZxn1LySDX",
        "AKXpgmVhedTT49sekGbh6MXfx2kJKBcaFQLpc83NCp6N",
        "ATWFW8xBGPe6xB8JnjyjZqG5FuEXnfyuhEocmqAqfeJG",
        "AUqLkd6bR54NtXY9Zt4J2zZ7CJbhVHuDR95YFk5qahaX",
        "AVYpwVou2BhdLivAwLxKPALZQsY7aZNkNmGbP2fZw7RU",
        "AZWdNvnZxJnbcT8ZzonpN19AZJadxPdUxSiCEDTJzu8L",
        "AZkdkkHzSEbaZXpr7xBmt71AHj9c8iWE2oWYELm3nns5",
        "Ab1UcdsFXZVnkSt1Z3vcYU65GQk5MvCbs54SviaiaqHb",
        "AksPzoA9DKCipgdhHjhUzQJe4iEniCvBoEfvayuFA3BN",
        "Amn9KQZY5kJj932b49pxwqZuuKfNWewrmNQtdMrRfdvf",
        "AnbszMCtjEVZTquG3FQ68x1f1WK5B1Z6E7gtN2J6vD5a",
        "AsrYX4FeLXnZcrjcZmrASY2Eq1jvEeQfwxtNTxS5zojA",
        "AzHQ8Bia1grVVbcGyci7wzueSWkgvu7YZVZ4B9rkL5P6",
        "AzVV9ZZDxTgW4wWfJmsG6ytaHpQGSe1yz76Nyy84VbQF",
        "B22zqCsZL6PDsi4fftmcjj5k7hFjhH1BM8Dcz4fXfFXK",
        "B5tRZWRCTCLANkY5zLnxEXAn8S2exJD9EkH3cacEYqmE",
        "BDvLyqobZFubd7ESEJde6KqjbNoChkdj5aEiBdCqcN5r",
        "BUjkdqUuH5Lz9XzcMcR4DdEMnFG6r8QzUMBm16Rfau96",
        "BUnRE27mYXN9p8H1Ay24GXhJC88q2CuwLoNU2v2CrW4W",
        "BVsJuJbhXmxPB9XPZrYMXs1SfuZuo998u1jQ9emVp8YD",
        "BhvLngiqqKeZ8rpxch2uGjeCiC88zzewoWPRuoxpp1aS",
        "Br3aeVGapRb2xTq17RU2pYZCoJpWA7bq6TKBCcYtMSmt",
        "BsKsunvENxAraBrL77UfAn1Gi7unVEmQAdCbhsjUN6tU",
        "BtF4msVoQYJPrQUMwNtEXw58LVjux18ddVhC4XjbsdwX",
        "BtvSeDfZNfA3VEH6baFprfx6JcS6JX8jdt6NffCxoJGV",
        "BuCEvc9ze8UoAQwwsQLy8d447C8sA4zeVtVpc6m5wQeS",
        "C4fATCN93YL5iYS3c2MrHeDmkMD6waHuBXLqsri5q5AF",
        "C7C8odR8oashR5Feyrq2tJKaXL18id1dSj2zbkDGL2C2",
        "CHmdL15akDcJgBkY6BP3hzs98Dqr6wbdDC5p8odvtSbq",
        "CND6ZjRTzaCFVdX7pSSWgjTfHZuhxqFDoUBqWBJguNoA",
        "CQDYc4ET2mbFhVpgj41gXahL6Exn5ZoPcGAzSHuYxwmE",
        "CSSxN8vQYqSjg5GV6ZUGSM65dXqhytLzANLpMrBZjLKP",
        "CTqnGTKHrcg8AVK5pSwVzpA3mmSxz7Js9y7rEqCbjryH",
        "CTvhdUVf8KNyMbyEdnvRrBCHJjBKtQwkbj6zwoqcEssG",
        "CUageMFi49kzoDqtdU8NvQ4Bq3sbtJygjKDAXJ45nmAi",
        "CVgyXrbEd1ctEuvq11QdpnCQVnPit8NLdhyqXQHLprM2",
        "CWeRmXme7LmbaUWTZWFLt6FMnpzLCHaQLuR2TdgFn4Lq",
        "CY7X5o3Wi2eQhTocLmUS6JSWyx1NinBfW7AXRrkRCpi8",
        "CakcnaRDHka2gXyfbEd2d3xsvkJkqsLw2akB3zsN1D2S",
        "CfCvwXZk1sLSqzuoFx1K7KG1puMofgwHA3tSpcArVysX",
        "Cj53e3n1WX9dAUNX5PZpsc9xG9e7hXGnuJkKLJkNaf6v",
        "CsUqV42gVQLJwQsKyjWHqGkfHarxn9hcY4YeSjgaaeTd",
        "CuatS6njAcfkFHnvai7zXCs7syA9bykXWsDCJEWfhjHG",
        "CzAHrrrHKx9Lxf6wdCMrsZkLvk74c7J2vGv8VYPUmY6v",
        "DE1bawNcRJB9rVm3buyMVfr8mBEoyyu73NBovf2oXJsJ",
        "DEGyTHFXmYuyANRDYRoEcShBXLonWNdBRpNzbFZBuzhY",
        "DFaHYDcuLmxx3vrJGCgw8sPehzBNjvbvZTjz7PgvYLcb",
        "DQQGPtj7pphPHCLzzBuEyDDQByUcKGrsJdsH7SP3hAug",
        "DUS1KxwUhUyDKB4A81E8vdnTe3hSahd92Abtn9CXsEcj",
        "DVhs8YHWrvhhGxoefDNY9KotqtEEnjnSAK8MYGL2Q7X",
        "DWfXRxmUXKdSTji4S1nXncviTmrhWQwxHAQCcvjRLeWm",
        "Dc2oHxFXQaC2QfLStuU7txtD3U5HZ82MrCSGDooWjbsv",
        "DeXE7LTUqsC3B9kSACfFdW5TPG1eT9n1Z6gVB9dJNxqz",
        "DrKzW5koKSZp4mg4BdHLwr72MMXscd2kTiWgckCvvPXz",
        "Ds69ZQPb3D3aVPXdN5REyzALBrzJLdruJZ1cwyfyoEEx",
        "DwqBsPgtAHqQUmRN3WF5YTuLKhK7dqzrb9eRJ4UVRNLf",
        "E8jcgWvrvV7rwYHJThwfiBeQ8VAH4FgNEEMG9aAuCMAq",
        "EAJJD6nDqtXcZ4DnQb19F9XEz8y8bRDHxbWbahatZNbL",
        "EHUv6Hc9XGAb57C8iNCUuoE9xnJnRTFr9LaP7zbu8LNB",
        "EMAY24PrS6rWfvpqffFCsTsFJypeeYYmtUc26wdh3Wup",
        "EMhn1U3TMimW3bvWYbPUvN2eZnCfsuBN4LGWhzzYhiWR",
        "EPfiDzgbdgXdyqqwbYFMqU6Qvfx2J9Zf2J9noXBYYbbx",
        "EWAjC8a9VPbALSM3D6tGsbRfgDV48kRuHZPu8qtYSNDv",
        "EbitXxcwjC1dzrGJ7sa3Y6RBzSM3wxvrxMaBncNBKEf2",
        "EhN8bv8LCXnNAVju9ERGsCccmdBNmNTAESAHXE8PyBLR",
        "EnX9MvycxMGKFpMPJHgNo6kD2proVaorKQcSaMmguMEZ",
        "Ep5Y58PaSyALPrdFxDVAdfKtVdP55vApvsWjb3jSmXsG",
        "Es13uD2p64UVPFpEWfDtd6SERdoNR2XVgqBQBZcZSLqW",
        "Eyr9P5XsjK2NUKNCnfu39eqpGoiLFgVAv1LSQgMZCwiQ",
        "EziVYi3Sv5kJWxmU77PnbrT8jmkVuqwdiFLLzZpLVEn7",
        "F9MWFw8cnYVwsRq8Am1PGfFL3cQUZV37mbGoxZftzLjN",
        "FB6VmiYFnVGp1uKXA3WbNsqg9neGYVpwYYiB9q8bFRrQ",
        "FG6UGgT4VpCQxjwQsVy6woHeemwb5jP5u9kR5ry3twcK",
        "FPzPT7YV5BHSTjYjqycXbwBsD4E5WsrZNPcCgcHhPkUx",
        "FR84wZQy3Y3j2gWz6pgETUiUoJtreMEuWfbg6573UCj9",
        "FThHNjNQYi7FLvP4KjeYf3LXjcN2LhyYHmza35ucqtDT",
        "Fas9FrnngyVjdMZ6r8p8SsfyFDtHLMmrw1dyBxRWWVTF",
        "Fg12tB1tz8w6zJSQ4ZAGotWoCztdMJF9hqK8R11pakog",
        "Fgyh8EeYGZtbW8sS33YmNQnzx54WXPrJ5KWNPkCfWPot",
        "FiWYY85b58zEEcPtxe3PuqzWPjqBJXqdwgZeqSBmT9Cn",
        "FnXgwJZT7RMhpYEJFCXGLHp63bhVLfVn5d4aSVQDe19n",
        "FwfaykN7ACnsEUDHANzGHqTGQZMcGnUSsahAHUqbdPrz",
        "G8EBx1Qo5W8731nmaBSGYyvU96onpEP5adrVSjt4vnLF",
        "GEWSkfWgHkpiLbeKaAnwvqnECGdRNf49at5nFccVey7c",
        "GK2zqSsXLA2rwVZk347RYhh6jJpRsCA69FjLW93ZGi3B",
        "GK8R4uUmrawcREZ5xJy5dAzVV5V7aFvYg77id37pVTK",
        "GLUmCeJpXB8veNcchPwibkRYwCwvQbKodex5mEjrgToi",
        "GLz4zxemfHJy3BnK7PjZ4uUgJoHtycpT3JrmTDYduVpg",
        "GNiz4Mq886bTNDT3pijGsu2gbw6it7sqrwncro45USeB",
        "GbPK6cgUKso2ZGNV6GRwbp3hkdUzTVjsybYQMGDBvMFa",
        "Gbz6wkNFus8SNEkWGNNENLv9NFwVvF1pWVDpaVKUWcMh",
        "GdnSyH3YtwcxFvQrVVJMm1JhTS4QVX7MFsX56uJLUfiZ",
        "GhsotwFMH6XUrRLJCxcx62h7748N2Uq8mf87hUGkmPhg",
        "GmyW1nqYcrw7P7JqrcyP9ivU9hYNbrgZ1r5SYJJH41Fs",
        "GpYnVDgB7dzvwSgsjQFeHznjG6Kt1DLBFYrKxjGU1LuD",
        "GpxpMVhrBBBEYbEJxdR62w3daWz444V7m6dxYDZKH77D",
        "GumSE5HsMV5HCwBTv2D2D81yy9x17aDkvobkqAfTRgmo",
        "GvpCiTgq9dmEeojCDBivoLoZqc4AkbUDACpqPMwYLWKh",
        "H1rt8KvXkNhQExTRfkY8r9wjZbZ8yCih6J4wQ5Fz9HGP",
        "H35YRuMGE6WDPBLu3fDYLxV7tEcL2yJ7C97jDkw6NrBf",
        "H3Ni7vG1CsmJZdTvxF7RkAf9UM5qk4RsohJsmPvtZNnu",
        "H5PutDz8EgAoznaX7Bc8qSB6sPxD2Xho145H6MH6AcbV",
        "H8wurbnaaXsgtrjqkNH1HhncUPUhTLAmKUHkwMeyqmfN",
        "HBfi37TwD4kMa1WrAWwXp3ZaFbZQ1g3XxWwNZs8QsCpY",
        "HCV5dGFJXRrJ3jhDYA4DCeb9TEDTwGGYXtT3wHksu2Zr",
        "HKJgYGTTYYR2ZkfJKHbn58w676fKueQXmvbtpyvrSM3N",
        "HMmHHmCmC3oo4G4QCjKvNxctSBQzRFDp2WQHZoXyrW6Q",
        "HNCooAiRiVeqGK9VSjxsvRsfr4weTcx14XhkvM7zDMgx",
        "HQJtLqvEGGxgNYfRXUurfxV8E1swvCnsbC3456ik27HY",
        "HUAkU5psJXZuw54Lrg1ksbXzHv2fzczQ9sNbmisVMeJU",
        "HbJUXNHXLzpucDr9wgjuoqAwK6XNKEcqi5h29MkkuSBQ",
        "HbZ5FfmKWNHC7uwk6TF1hVi6TCs7dtYfdjEcuPGgzFAg",
        "Hm9JW7of5i9dnrboS8pCUCSeoQUPh7JsP1rkbJnW7An4",
        "Ht5roME7Fjzt3dcEyf7UxYpPPAAdyTrnJ6rgEwQrNAFg",
        "HuqDWJodFhAEWh6aWdsDVUqsjRket5DYXMYyDYtD8hdN",
        "Hz9nydgN1k15wnwffKX7CSmZp4VFTnTwLXAEdomFGNXy",
        "JCwT5Ygmq3VeBEbDjL8s8E82Ra2rP9bq45QfZE7Xyaq7",
        "Mc5XB47H3DKJHym5RLa9mPzWv5snERsF3KNv5AauXK8",
        "P8aKfWQPeRnsZtpBrwWTYzyAoRk74KMz56xc6NEpC4J",
        "nGME7HgBT6tAJN1f6YuCCngpqT5cvSTndZUVLjQ4jwA",
        "wRVP5MYuqP8HJ1Q8RCJ5NzUraL3DxCKPGMKSBd5iQH1",
        "xQadXQiUTCCFhfHjvQx1hyJK6KVWr1w2fD6DT3cdwj7",
    )
)


def stake_lockup_in_force(account: Account, clock: Clock) -> bool:
    """An initialized or delegated stake account whose lockup has not expired at ``clock``."""
    data = bytes(account.data)
    if account.owner != STAKE_PROGRAM_ID or len(data) < _LOCKUP_OFFSET + _LOCKUP.size:
        return False
    if int.from_bytes(data[:4], "little") not in (_STAKE_INITIALIZED, _STAKE_DELEGATED):
        return False
    unix_timestamp, epoch = _LOCKUP.unpack_from(data, _LOCKUP_OFFSET)
    return bool(unix_timestamp > clock.unix_timestamp or epoch > clock.epoch)


def non_circulating_keys(accounts: Iterable[tuple[Pubkey, Account]], clock: Clock) -> set[Pubkey]:
    """The non-circulating addresses among (and besides) ``accounts``: the fixed list, plus locked stake."""
    keys = set(NON_CIRCULATING_ACCOUNTS)
    keys.update(pubkey for pubkey, account in accounts if stake_lockup_in_force(account, clock))
    return keys


def largest(accounts: Iterable[tuple[Pubkey, Account]]) -> list[dict[str, object]]:
    """RpcAccountBalance entries of the ``LARGEST_ACCOUNTS`` richest accounts, richest first."""
    ranked = sorted(accounts, key=lambda item: (-item[1].lamports, bytes(item[0])))
    return [
        {"address": str(pubkey), "lamports": account.lamports}
        for pubkey, account in ranked[:LARGEST_ACCOUNTS]
    ]
